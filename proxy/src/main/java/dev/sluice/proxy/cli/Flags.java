package dev.sluice.proxy.cli;

import dev.sluice.discovery.model.Balance;
import dev.sluice.proxy.listen.NodePortAddresses;
import dev.sluice.proxy.listen.ProxyOptions;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/** Turns validated flag values into the objects the process is built from. */
final class Flags {
    private Flags() {
    }

    static ProxyOptions proxyOptions(ProxyFlags flags) {
        if (flags.eventLoopThreads < 1) {
            throw new IllegalArgumentException(
                    "event-loop-threads: " + flags.eventLoopThreads + " (expected: 1 or more)");
        }
        if (flags.maxConnections < 0) {
            throw new IllegalArgumentException(
                    "max-connections: " + flags.maxConnections + " (expected: 0 for no limit, or more)");
        }
        if (flags.ejectionFailures < 1) {
            throw new IllegalArgumentException(
                    "ejection-failures: " + flags.ejectionFailures + " (expected: 1 or more)");
        }
        if (flags.connectTimeout.isZero()) {
            throw new IllegalArgumentException("connect-timeout: 0 (expected: a positive duration such as 1s)");
        }
        return ProxyOptions.DEFAULT
                .withConnectTimeout(flags.connectTimeout)
                .withIdleTimeout(flags.idleTimeout)
                .withMaxConnections(flags.maxConnections)
                .withDrainTimeout(flags.drainTimeout)
                .withEventLoopThreads(flags.eventLoopThreads)
                .withTransport(flags.transport)
                .withNodePortAddresses(NodePortAddresses.parse(flags.nodePortAddresses))
                .withEjection(flags.ejectionFailures, flags.ejectionTime)
                .withUdpFlowTimeout(flags.udpFlowTimeout);
    }

    static Balance balance(String value) {
        return switch (value.toLowerCase(Locale.ROOT)) {
            case "round-robin", "roundrobin", "rr" -> Balance.ROUND_ROBIN;
            case "least-connections", "leastconn", "lc" -> Balance.LEAST_CONNECTIONS;
            default -> throw new IllegalArgumentException(
                    "balance: " + value + " (expected: round-robin or least-connections)");
        };
    }

    /** What to serve, from --kubeconfig, --config, or the Pod's environment. */
    static ServeMode serveMode(ProxyFlags flags, boolean configHasServices) {
        if (flags.kubeconfig != null) {
            if (!Files.isReadable(flags.kubeconfig)) {
                throw new IllegalArgumentException(
                        "kubeconfig: " + flags.kubeconfig + ": not readable (expected: a kubeconfig file)");
            }
            return ServeMode.kubernetes(flags.kubeconfig, nodeName(flags));
        }
        if (flags.config != null && configHasServices) {
            return ServeMode.file(flags.config);
        }
        if (System.getenv("KUBERNETES_SERVICE_HOST") != null) {
            return ServeMode.kubernetes(null, nodeName(flags));
        }
        if (flags.config != null) {
            return ServeMode.file(flags.config);
        }
        throw new IllegalArgumentException("nothing to serve (expected: --config FILE for standalone mode, "
                + "--kubeconfig PATH, or running in a Pod)");
    }

    /** kube-proxy's rule: --hostname-override, else NODE_NAME, else the host name, lower-cased. */
    static String nodeName(ProxyFlags flags) {
        String name = flags.hostnameOverride;
        if (name == null || name.isBlank()) {
            name = System.getenv("NODE_NAME");
        }
        if (name == null || name.isBlank()) {
            name = hostName();
        }
        return name.trim().toLowerCase(Locale.ROOT);
    }

    private static String hostName() {
        try {
            return Files.readString(Path.of("/proc/sys/kernel/hostname")).trim();
        } catch (IOException | RuntimeException e) {
            try {
                return InetAddress.getLocalHost().getHostName();
            } catch (IOException again) {
                throw new IllegalArgumentException(
                        "hostname-override: unset and the host name is unknown (expected: --hostname-override NAME)");
            }
        }
    }

    static KubernetesClient kubernetesClient(Path kubeconfig) {
        if (kubeconfig == null) {
            return new KubernetesClientBuilder().build();
        }
        try {
            Config config = Config.fromKubeconfig(Files.readString(kubeconfig));
            return new KubernetesClientBuilder().withConfig(config).build();
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException("kubeconfig: " + kubeconfig + ": " + e.getMessage()
                    + " (expected: a valid kubeconfig)", e);
        }
    }
}
