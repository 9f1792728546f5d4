package dev.sluice.proxy.tproxy;

import dev.sluice.discovery.model.Frontend;
import dev.sluice.discovery.model.IpFamily;
import dev.sluice.discovery.model.ServiceEntry;
import dev.sluice.discovery.model.ServicePortKey;
import dev.sluice.discovery.model.TableChange;
import dev.sluice.discovery.model.TableListener;
import dev.sluice.proxy.iface.IpCommand;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * All the kernel state of transparent proxying, owned by Sluice and named after it: the
 * nftables table {@code inet sluice}, one policy-routing rule on Sluice's firewall mark and the
 * local route table that rule looks up. Both {@code --source-ip client} and
 * {@code --capture tproxy} need the mark: a packet that belongs to a transparent socket (a
 * backend connection bound to a client's address, a connection accepted for a ClusterIP) is
 * marked ({@code socket transparent 1}) and so delivered locally instead of forwarded.
 *
 * <p>With {@code tproxy} capture the table also holds the set {@code frontends4} of every
 * captured frontend ({@code address . protocol . port}) and the rules that divert matching
 * packets to the one transparent TCP and one transparent UDP listener on 127.0.0.1. Packets
 * from other hosts and pods are diverted in {@code prerouting}; packets the node sends itself
 * (hostNetwork pods, node processes) are marked in a {@code route} chain on {@code output},
 * which makes the kernel route them again, through {@code lo} by the local route table, where
 * {@code prerouting} diverts them like the others (the technique of common TPROXY gateways for
 * locally generated traffic).
 *
 * <p>{@link #onTable} adds and deletes only the elements of changed service ports, so a table
 * change costs O(changed). An element that cannot be installed is logged, counted
 * ({@code sluice.capture.rule.failures}) and retried with the next table and every few
 * seconds. {@link #start} replaces whatever an earlier run left (the table, rule and route are
 * recognised by name, mark and table number; nothing else is touched); {@link #close} removes
 * all three.
 *
 * <p>Threading: the mutating methods are synchronised; they run child processes and are never
 * called from the data path.
 */
public final class TransparentRules implements TableListener, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(TransparentRules.class);

    /** The nftables table, family {@code inet}. */
    public static final String TABLE = "sluice";
    /** The one firewall-mark bit Sluice sets and matches (with itself as mask, so other bits stay). */
    static final int MARK = 0x00510000;
    /** The route table with the local default route; also the rule's priority. */
    static final int ROUTE_TABLE = 5100;
    private static final String SET = "frontends4";
    private static final int RETRY_SECONDS = 5;
    private static final Pattern HANDLE = Pattern.compile("# handle (\\d+)");

    private final Transparency transparency;
    private final Nft nft;
    private final IpCommand ip;
    private final Function<IpFamily, List<InetAddress>> nodeAddresses;
    private final MeterRegistry registry;
    private final Counter failures;
    private final Gauge elementsGauge;
    private final ScheduledExecutorService retries;

    // Guarded by this.
    private final Map<ServicePortKey, Set<String>> byKey = new HashMap<>();
    private final Map<String, Integer> wanted = new HashMap<>();
    private final Set<String> installed = new HashSet<>();
    /** Elements whose kernel state may differ from {@link #wanted}: to apply, or failed and to retry. */
    private final Set<String> dirty = new LinkedHashSet<>();
    private final Map<String, String> failedReasons = new HashMap<>();
    private boolean closed;
    /** The kernel's handle of the table this process installed: a successor's replacement has another. */
    private volatile String handle = "";

    private TransparentRules(Transparency transparency, Nft nft, IpCommand ip,
            Function<IpFamily, List<InetAddress>> nodeAddresses, MeterRegistry registry) {
        this.transparency = transparency;
        this.nft = nft;
        this.ip = ip;
        this.nodeAddresses = nodeAddresses;
        this.registry = registry;
        this.failures = Counter.builder("sluice.capture.rule.failures")
                .description("nftables elements for captured frontends that could not be installed (each attempt)")
                .register(registry);
        this.elementsGauge = Gauge.builder("sluice.capture.elements", this, TransparentRules::installedCount)
                .description("Frontends (address, protocol, port) in the nftables capture set")
                .register(registry);
        this.retries = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "sluice-tproxy");
            thread.setDaemon(true);
            return thread;
        });
    }

    /**
     * Installs the table, rule and route, replacing any an earlier run left behind.
     *
     * @param tcpPort the transparent TCP listener's port on 127.0.0.1 (used with capture only)
     * @param udpPort the transparent UDP listener's port on 127.0.0.1 (used with capture only)
     * @throws IllegalStateException with one line naming what is missing (the nft program,
     *                               CAP_NET_ADMIN, kernel support) when anything fails
     */
    public static TransparentRules start(Transparency transparency, int tcpPort, int udpPort,
            Function<IpFamily, List<InetAddress>> nodeAddresses, Nft nft, IpCommand ip, MeterRegistry registry) {
        return start(transparency, tcpPort, udpPort, nodeAddresses, nft, ip, registry, List.of());
    }

    /**
     * As {@link #start(Transparency, int, int, Function, Nft, IpCommand, MeterRegistry)}, with the
     * capture set already holding the frontends of {@code entries}: a successor that replaces a
     * predecessor's table diverts every captured frontend from the transaction on.
     */
    public static TransparentRules start(Transparency transparency, int tcpPort, int udpPort,
            Function<IpFamily, List<InetAddress>> nodeAddresses, Nft nft, IpCommand ip, MeterRegistry registry,
            Collection<ServiceEntry> entries) {
        TransparentRules rules = new TransparentRules(transparency, nft, ip, nodeAddresses, registry);
        try {
            rules.seed(entries);
            rules.install(tcpPort, udpPort);
        } catch (RuntimeException e) {
            rules.close();
            throw e;
        }
        rules.retries.scheduleWithFixedDelay(rules::retry, RETRY_SECONDS, RETRY_SECONDS, TimeUnit.SECONDS);
        return rules;
    }

    /** Wants the elements of {@code entries}; {@link #install} puts them in the set it creates. */
    private synchronized void seed(Collection<ServiceEntry> entries) {
        if (!transparency.tproxyCapture()) {
            return;
        }
        Map<IpFamily, List<InetAddress>> nodes = new HashMap<>();
        for (ServiceEntry entry : entries) {
            if (CaptureScope.captured(entry)) {
                Set<String> elements = elements(entry, family -> nodes.computeIfAbsent(family, nodeAddresses));
                byKey.put(entry.key(), elements);
                elements.forEach(element -> wanted.merge(element, 1, Integer::sum));
            }
        }
    }

    private synchronized void install(int tcpPort, int udpPort) {
        Nft.Result applied;
        try {
            applied = nft.apply(script(tcpPort, udpPort, true));
            if (!applied.ok() && !wanted.isEmpty()) {
                // One element the kernel refuses must not stop the start: without them, they are retried as usual.
                dirty.addAll(wanted.keySet());
                applied = nft.apply(script(tcpPort, udpPort, false));
            }
        } catch (UncheckedIOException e) {
            throw new IllegalStateException(transparency.describe()
                    + ": needs the nft program (package nftables) on the PATH: " + e.getCause().getMessage(), e);
        }
        if (!applied.ok()) {
            throw new IllegalStateException(transparency.describe() + ": cannot install nftables table inet " + TABLE
                    + ": " + applied.error() + " (expected: CAP_NET_ADMIN and a kernel with nf_tables, nft_socket"
                    + (transparency.tproxyCapture() ? ", nft_tproxy" : "") + ")");
        }
        if (dirty.isEmpty()) {
            installed.addAll(wanted.keySet());
        }
        handle = currentHandle();
        // Added and replaced, never deleted first: a predecessor's identical rule and route keep serving throughout.
        String mark = markText();
        requireIp(List.of("rule", "add", "fwmark", mark, "lookup", String.valueOf(ROUTE_TABLE),
                "pref", String.valueOf(ROUTE_TABLE)));
        requireIp(List.of("route", "replace", "local", "0.0.0.0/0", "dev", "lo", "table", String.valueOf(ROUTE_TABLE)));
        log.info("{}: nftables table inet {}, ip rule fwmark {} lookup {} installed", transparency.describe(), TABLE, mark,
                ROUTE_TABLE);
    }

    private void requireIp(List<String> args) {
        IpCommand.Result result;
        try {
            result = ip.run(args);
        } catch (UncheckedIOException e) {
            throw new IllegalStateException(transparency.describe() + ": needs the ip program (package iproute2) on the PATH", e);
        }
        // The kernel refuses a second identical rule: the one an earlier run left is ours already.
        if (!result.ok() && !result.stderr().contains("File exists")) {
            throw new IllegalStateException(transparency.describe() + ": ip " + String.join(" ", args) + " failed: "
                    + result.stderr().strip() + " (expected: CAP_NET_ADMIN and policy routing in the kernel)");
        }
    }

    /** The whole table; deleting an earlier run's table in the same transaction makes the swap atomic. */
    private String script(int tcpPort, int udpPort, boolean withWanted) {
        String mark = String.format(Locale.ROOT, "0x%08x", MARK);
        StringBuilder s = new StringBuilder();
        s.append("table inet ").append(TABLE).append(" {}\n");
        s.append("delete table inet ").append(TABLE).append('\n');
        s.append("table inet ").append(TABLE).append(" {\n");
        if (transparency.tproxyCapture()) {
            s.append("  set ").append(SET).append(" { type ipv4_addr . inet_proto . inet_service;");
            if (withWanted && !wanted.isEmpty()) {
                s.append(" elements = { ").append(String.join(", ", wanted.keySet())).append(" };");
            }
            s.append(" }\n");
        }
        s.append("  chain prerouting {\n");
        s.append("    type filter hook prerouting priority mangle; policy accept;\n");
        s.append("    meta l4proto { tcp, udp } socket transparent 1 meta mark set meta mark or ").append(mark)
                .append(" accept\n");
        if (transparency.tproxyCapture()) {
            s.append("    meta l4proto tcp ip daddr . meta l4proto . th dport @").append(SET)
                    .append(" tproxy ip to 127.0.0.1:").append(tcpPort).append(" meta mark set meta mark or ").append(mark)
                    .append(" accept\n");
            s.append("    meta l4proto udp ip daddr . meta l4proto . th dport @").append(SET)
                    .append(" tproxy ip to 127.0.0.1:").append(udpPort).append(" meta mark set meta mark or ").append(mark)
                    .append(" accept\n");
        }
        s.append("  }\n");
        if (transparency.tproxyCapture()) {
            s.append("  chain output {\n");
            s.append("    type route hook output priority mangle; policy accept;\n");
            s.append("    ip daddr . meta l4proto . th dport @").append(SET).append(" meta mark set meta mark or ").append(mark)
                    .append('\n');
            s.append("  }\n");
        }
        s.append("}\n");
        return s.toString();
    }

    private static String markText() {
        String hex = "0x" + Integer.toHexString(MARK);
        return hex + "/" + hex;
    }

    @Override
    public synchronized void onTable(TableChange change) {
        if (closed || !transparency.tproxyCapture()) {
            return;
        }
        Map<IpFamily, List<InetAddress>> nodes = new HashMap<>();
        for (ServicePortKey key : change.changed()) {
            ServiceEntry entry = change.current().get(key);
            // An entry that is not captured (any longer) has no elements; one never captured, none to remove.
            Set<String> next = entry == null || !CaptureScope.captured(entry) ? Set.of()
                    : elements(entry, family -> nodes.computeIfAbsent(family, nodeAddresses));
            Set<String> previous = next.isEmpty() ? byKey.remove(key) : byKey.put(key, next);
            for (String element : previous == null ? Set.<String>of() : previous) {
                if (!next.contains(element)) {
                    wanted.computeIfPresent(element, (e, n) -> n == 1 ? null : n - 1);
                    dirty.add(element);
                }
            }
            for (String element : next) {
                if (previous == null || !previous.contains(element)) {
                    wanted.merge(element, 1, Integer::sum);
                    dirty.add(element);
                }
            }
        }
        applyDirty();
    }

    private static Set<String> elements(ServiceEntry entry, Function<IpFamily, List<InetAddress>> nodeAddresses) {
        String protocol = entry.key().protocol().name().toLowerCase(Locale.ROOT);
        Set<String> result = new LinkedHashSet<>();
        for (Map.Entry<InetSocketAddress, Frontend> destination : CaptureScope.destinations(entry, nodeAddresses).entrySet()) {
            InetSocketAddress socket = destination.getKey();
            result.add(socket.getAddress().getHostAddress() + " . " + protocol + " . " + socket.getPort());
        }
        return result;
    }

    private synchronized void retry() {
        if (!closed && !dirty.isEmpty()) {
            applyDirty();
        }
    }

    /** Applies every dirty element in one transaction; when that fails, one by one, so one bad element stays alone. */
    private void applyDirty() {
        if (dirty.isEmpty()) {
            return;
        }
        List<String> lines = new ArrayList<>();
        List<String> order = new ArrayList<>();
        for (String element : dirty) {
            String line = line(element);
            if (line != null) {
                lines.add(line);
                order.add(element);
            }
        }
        if (lines.isEmpty() || run(String.join("\n", lines) + "\n").ok()) {
            order.forEach(this::settled);
            dirty.clear();
            return;
        }
        for (int i = 0; i < lines.size(); i++) {
            String element = order.get(i);
            Nft.Result result = run(lines.get(i) + "\n");
            if (result.ok()) {
                settled(element);
                dirty.remove(element);
            } else {
                failed(element, result.error());
            }
        }
    }

    /** The command that brings one element to what is wanted, or null when it already is. */
    private String line(String element) {
        boolean want = wanted.containsKey(element);
        if (want == installed.contains(element)) {
            return null;
        }
        return (want ? "add" : "delete") + " element inet " + TABLE + " " + SET + " { " + element + " }";
    }

    private void settled(String element) {
        if (wanted.containsKey(element)) {
            installed.add(element);
        } else {
            installed.remove(element);
        }
        failedReasons.remove(element);
    }

    private void failed(String element, String reason) {
        failures.increment();
        String previous = failedReasons.put(element, reason);
        if (!reason.equals(previous)) {
            log.warn("cannot {} capture of {} in nftables set inet {} {}: {}; retrying",
                    wanted.containsKey(element) ? "install" : "remove", element, TABLE, SET, reason);
        }
    }

    private Nft.Result run(String script) {
        try {
            return nft.apply(script);
        } catch (RuntimeException e) {
            return new Nft.Result(-1, "", e.getMessage() == null ? e.toString() : e.getMessage());
        }
    }

    private synchronized int installedCount() {
        return installed.size();
    }

    /** The elements that could not be installed or removed yet, with their reasons. */
    synchronized Map<String, String> failures() {
        return Map.copyOf(failedReasons);
    }

    /**
     * Stops following the table and retrying, and leaves the table, rule and route in the kernel:
     * after a handover they are the successor's, which replaces them with its own in one step.
     */
    public void leaveToSuccessor() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        retries.shutdownNow();
        registry.remove(failures);
        registry.remove(elementsGauge);
        log.info("leaving nftables table inet {} and its routing to the successor", TABLE);
    }

    /**
     * After {@link #leaveToSuccessor}: waits until the table this process installed is replaced
     * (or gone), at most {@code timeout}; until then packets are still diverted to this process.
     * Returns whether it was replaced in time; at once without capture, when nothing is diverted.
     */
    public boolean awaitReplaced(Duration timeout) throws InterruptedException {
        if (!transparency.tproxyCapture()) {
            return true;
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        while (handle.equals(currentHandle())) {
            if (System.nanoTime() >= deadline) {
                return false;
            }
            // A successor replaces the table moments after the handover; a coarse poll is fine here.
            TimeUnit.MILLISECONDS.sleep(20);
        }
        return true;
    }

    /** The kernel's handle of table inet sluice, or "" when there is none. */
    private String currentHandle() {
        Nft.Result listed;
        try {
            listed = nft.run(List.of("-a", "list", "table", "inet", TABLE));
        } catch (RuntimeException e) {
            return "";
        }
        Matcher matcher = HANDLE.matcher(listed.stdout());
        return listed.ok() && matcher.find() ? matcher.group(1) : "";
    }

    /** Deletes the table, the rule and the route: nothing of Sluice's stays in the kernel. */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        retries.shutdownNow();
        Nft.Result deleted = run("delete table inet " + TABLE + "\n");
        if (!deleted.ok() && !deleted.error().contains("No such file")) {
            log.warn("deleting nftables table inet {} failed: {}", TABLE, deleted.error());
        }
        removeRouting();
        registry.remove(failures);
        registry.remove(elementsGauge);
        log.info("removed nftables table inet {}, ip rule fwmark {} and route table {}", TABLE, markText(), ROUTE_TABLE);
    }

    /** Removes every rule on Sluice's mark and empties its route table; nothing else is touched. */
    private void removeRouting() {
        try {
            List<String> delete = List.of("rule", "del", "fwmark", markText(), "lookup", String.valueOf(ROUTE_TABLE));
            // One call removes one rule; an earlier run may have left several.
            for (int i = 0; i < 16 && ip.run(delete).ok(); i++) {
                log.debug("removed an ip rule on fwmark {}", markText());
            }
            ip.run(List.of("route", "flush", "table", String.valueOf(ROUTE_TABLE)));
        } catch (RuntimeException e) {
            log.warn("removing ip rule and route table {} failed: {}", ROUTE_TABLE, e.toString());
        }
    }
}
