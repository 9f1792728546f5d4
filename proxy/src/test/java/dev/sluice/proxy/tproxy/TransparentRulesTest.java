package dev.sluice.proxy.tproxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.sluice.discovery.model.Backend;
import dev.sluice.discovery.model.BackendTable;
import dev.sluice.discovery.model.Frontend;
import dev.sluice.discovery.model.FrontendType;
import dev.sluice.discovery.model.IpFamily;
import dev.sluice.discovery.model.Protocol;
import dev.sluice.discovery.model.ServiceEntry;
import dev.sluice.discovery.model.ServicePolicy;
import dev.sluice.discovery.model.ServicePortKey;
import dev.sluice.discovery.model.TableChange;
import dev.sluice.proxy.iface.NetworkNamespace;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link TransparentRules} against real nftables and policy routing in a namespace of its own:
 * the capture set follows the table element by element, an element that cannot be installed is
 * counted and retried, and close leaves nothing. Needs root and {@code nft}; skipped without.
 */
class TransparentRulesTest {
    private static final Pattern ELEMENT = Pattern.compile("(\\d+\\.\\d+\\.\\d+\\.\\d+) \\. (tcp|udp) \\. (\\d+)");
    private static final Transparency BOTH = new Transparency(true, true);

    private NetworkNamespace ns;
    private Nft nft;
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final List<TransparentRules> started = new ArrayList<>();
    private BackendTable table = BackendTable.empty();

    @BeforeEach
    void namespace() throws Exception {
        String unavailable = NetworkNamespace.unavailableReason();
        Assumptions.assumeTrue(unavailable == null, unavailable);
        Assumptions.assumeTrue(new ProcessBuilder("sh", "-c", "command -v nft").start().waitFor() == 0, "needs nft");
        ns = NetworkNamespace.create("stp", "rules");
        nft = Nft.withPrefix(List.of("ip", "netns", "exec", ns.name(), "nft"));
    }

    @AfterEach
    void cleanUp() {
        started.forEach(TransparentRules::close);
        if (ns != null) {
            ns.close();
        }
    }

    private TransparentRules start(Transparency transparency) {
        TransparentRules rules = TransparentRules.start(transparency, 15001, 15002, family -> List.of(), nft,
                ns.ipCommand(), registry);
        started.add(rules);
        return rules;
    }

    private static ServiceEntry service(String name, Protocol protocol, String ip, int port) throws Exception {
        return ServiceEntry.standalone(new ServicePortKey("", name, "", protocol, IpFamily.IPv4),
                List.of(new Frontend(FrontendType.LISTEN, InetAddress.getByName(ip), port)),
                List.of(Backend.of("198.18.9.1", 8080)), ServicePolicy.DEFAULT);
    }

    private void publish(TransparentRules rules, ServiceEntry... entries) {
        BackendTable next = BackendTable.of(table.generation() + 1, List.of(entries));
        rules.onTable(TableChange.between(table, next));
        table = next;
    }

    private Set<String> elements() {
        Nft.Result listed = nft.run(List.of("list", "set", "inet", "sluice", "frontends4"));
        Set<String> elements = new TreeSet<>();
        Matcher matcher = ELEMENT.matcher(listed.stdout());
        while (matcher.find()) {
            elements.add(matcher.group(1) + " . " + matcher.group(2) + " . " + matcher.group(3));
        }
        return elements;
    }

    /** Shows that the set holds exactly the table's frontends after each change, TCP and UDP apart. */
    @Test
    void theCaptureSetFollowsTheTable() throws Exception {
        TransparentRules rules = start(BOTH);
        ServiceEntry web = service("web", Protocol.TCP, "198.18.100.1", 80);
        ServiceEntry dns = service("dns", Protocol.UDP, "198.18.100.2", 53);

        publish(rules, web, dns);
        assertThat(elements()).containsExactly("198.18.100.1 . tcp . 80", "198.18.100.2 . udp . 53");

        publish(rules, dns, service("web", Protocol.TCP, "198.18.100.1", 8080));
        assertThat(elements()).containsExactly("198.18.100.1 . tcp . 8080", "198.18.100.2 . udp . 53");

        publish(rules, dns);
        assertThat(elements()).containsExactly("198.18.100.2 . udp . 53");
        assertThat(registry.get("sluice.capture.elements").gauge().value()).isEqualTo(1);
    }

    /**
     * Shows a successor's start after a handover: its set holds the table's frontends as soon as
     * start returns, the rule stays single, later changes apply to it, and the predecessor, which
     * left the table, sees it replaced.
     */
    @Test
    void aSuccessorStartsWithTheTableAndThePredecessorSeesItsTableReplaced() throws Exception {
        TransparentRules predecessor = start(BOTH);
        ServiceEntry web = service("web", Protocol.TCP, "198.18.100.1", 80);
        publish(predecessor, web);
        predecessor.leaveToSuccessor();
        assertThat(predecessor.awaitReplaced(Duration.ofMillis(200))).as("before any successor").isFalse();

        TransparentRules successor = TransparentRules.start(BOTH, 15003, 15004, family -> List.of(), nft, ns.ipCommand(),
                new SimpleMeterRegistry(), table.entries());
        started.add(successor);
        assertThat(elements()).containsExactly("198.18.100.1 . tcp . 80");
        assertThat(nft.run(List.of("list", "table", "inet", "sluice")).stdout()).contains("127.0.0.1:15003");
        assertThat(ns.ip("rule", "show").lines().filter(l -> l.contains("lookup 5100")).count()).isEqualTo(1);
        assertThat(ns.ip("route", "show", "table", "5100")).contains("local default dev lo");
        assertThat(predecessor.awaitReplaced(Duration.ofSeconds(10))).isTrue();

        publish(successor, service("dns", Protocol.UDP, "198.18.100.2", 53));
        assertThat(elements()).containsExactly("198.18.100.2 . udp . 53");
    }

    /** Shows that a wildcard listen address, which no packet is sent to, keeps its bound listener and gets no element. */
    @Test
    void aWildcardListenAddressIsNotCaptured() throws Exception {
        TransparentRules rules = start(BOTH);
        ServiceEntry wildcard = service("any", Protocol.TCP, "0.0.0.0", 8080);

        publish(rules, wildcard, service("web", Protocol.TCP, "198.18.100.1", 80));
        assertThat(CaptureScope.captured(wildcard)).isFalse();
        assertThat(elements()).containsExactly("198.18.100.1 . tcp . 80");

        publish(rules, service("any", Protocol.TCP, "198.18.100.3", 8080));
        assertThat(elements()).containsExactly("198.18.100.3 . tcp . 8080");
    }

    /** Shows that an element the kernel refuses is counted, named, and installed by a later retry. */
    @Test
    void anElementThatCannotBeInstalledIsCountedAndRetried() throws Exception {
        TransparentRules rules = start(BOTH);
        // Another owner breaks our table (the set goes with the rules using it): every element change fails.
        assertThat(nft.apply("flush chain inet sluice prerouting\nflush chain inet sluice output\n"
                + "delete set inet sluice frontends4\n").ok()).isTrue();

        publish(rules, service("web", Protocol.TCP, "198.18.100.1", 80));

        assertThat(registry.get("sluice.capture.rule.failures").counter().count()).isEqualTo(1);
        assertThat(rules.failures()).containsOnlyKeys("198.18.100.1 . tcp . 80");

        assertThat(nft.apply("add set inet sluice frontends4 { type ipv4_addr . inet_proto . inet_service; }\n").ok())
                .isTrue();
        await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> {
            assertThat(elements()).containsExactly("198.18.100.1 . tcp . 80");
            assertThat(rules.failures()).isEmpty();
        });
    }

    /** Shows that a second start replaces what a crashed first one left, and close removes all of it. */
    @Test
    void startReplacesAnEarlierRunsStateAndCloseRemovesIt() throws Exception {
        TransparentRules crashed = start(BOTH);
        publish(crashed, service("web", Protocol.TCP, "198.18.100.1", 80));
        ns.ip("rule", "add", "fwmark", "0x7", "lookup", "5200", "pref", "5200");

        TransparentRules next = start(new Transparency(false, true));
        assertThat(ns.ip("rule", "show").lines().filter(l -> l.contains("lookup 5100")).count()).isEqualTo(1);
        assertThat(nft.run(List.of("list", "table", "inet", "sluice")).stdout()).doesNotContain("frontends4");

        next.close();
        assertThat(nft.run(List.of("list", "tables")).stdout()).doesNotContain("sluice");
        assertThat(ns.ip("rule", "show")).doesNotContain("lookup 5100").contains("lookup 5200");
        assertThat(ns.ip("route", "show", "table", "5100")).isEmpty();
    }

    /** Shows that without the privilege start fails with one line that names it, leaving nothing. */
    @Test
    void withoutCapNetAdminStartNamesWhatIsMissing() {
        Nft unprivileged = Nft.withPrefix(List.of("ip", "netns", "exec", ns.name(), "setpriv",
                "--bounding-set=-net_admin", "--inh-caps=-net_admin", "nft"));

        assertThatThrownBy(() -> TransparentRules.start(BOTH, 15001, 15002, family -> List.of(), unprivileged,
                ns.ipCommandWithoutNetAdmin(), registry))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("--capture tproxy --source-ip client: cannot install nftables table inet sluice")
                .hasMessageContaining("CAP_NET_ADMIN")
                .hasMessageNotContaining("\n");
        assertThat(nft.run(List.of("list", "tables")).stdout()).doesNotContain("sluice");
    }
}
