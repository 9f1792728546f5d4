package dev.sluice.proxy.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.proxy.iface.NetworkNamespace;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Without CAP_NET_ADMIN (and CAP_NET_RAW, which also allows IP_TRANSPARENT) the real jar refuses
 * {@code --capture tproxy} and {@code --source-ip client} at start, with one line naming what
 * is missing, and leaves nothing behind; it never falls back to plain sockets. Runs in a
 * namespace of its own, as root with those capabilities dropped; skipped without root or nft.
 */
class TransparentPrivilegeIT {

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"--capture=tproxy", "--source-ip=client"})
    void aMissingCapabilityFailsTheStartWithOneLine(String flag) throws Exception {
        String unavailable = NetworkNamespace.unavailableReason();
        Assumptions.assumeTrue(unavailable == null, unavailable);
        Assumptions.assumeTrue(new ProcessBuilder("sh", "-c", "command -v nft && command -v setpriv").start().waitFor() == 0,
                "needs nft and setpriv");
        Path jar = Path.of(System.getProperty("sluice.jar", "target/sluice.jar")).toAbsolutePath();
        Path work = Files.createDirectories(Path.of("target", "e2e", "privilege-" + NetworkNamespace.suffix()))
                .toAbsolutePath();
        Path config = Files.writeString(work.resolve("sluice.yaml"), """
                services:
                  - {name: web, listen: "127.0.0.1:8080", backends: ["127.0.0.1:9001"]}
                """);
        try (NetworkNamespace ns = NetworkNamespace.create("stp", "priv")) {
            Path log = work.resolve("sluice.log");
            ChildProcess sluice = ChildProcess.start("sluice", List.of("ip", "netns", "exec", ns.name(),
                    "setpriv", "--inh-caps=-net_admin,-net_raw", "--bounding-set=-net_admin,-net_raw",
                    Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx64m", "-jar", jar.toString(),
                    "run", "--config", config.toString(), flag, "--healthz-bind-address", "", "--metrics-bind-address", ""),
                    log, true);
            try {
                assertThat(sluice.exitCode(60)).isEqualTo(1);
            } finally {
                sluice.close();
            }
            List<String> errors = Files.readAllLines(log).stream().filter(l -> l.startsWith("sluice run: ")).toList();
            assertThat(errors).hasSize(1);
            assertThat(errors.get(0)).contains("CAP_NET_ADMIN");
            assertThat(ns.exec("nft", "list", "tables")).doesNotContain("sluice");
            assertThat(ns.ip("rule", "show")).doesNotContain("lookup 5100");
        }
    }
}
