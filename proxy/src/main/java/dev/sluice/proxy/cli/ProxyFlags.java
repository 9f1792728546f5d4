package dev.sluice.proxy.cli;

import java.nio.file.Path;
import java.time.Duration;
import picocli.CommandLine.Option;

/**
 * The flags of a running proxy, shared by {@code run} and {@code demo}. Names follow kube-proxy's
 * where kube-proxy has the same setting.
 */
final class ProxyFlags {

    @Option(names = "--config", paramLabel = "FILE",
            description = "YAML file: 'services:' to serve in standalone mode (reloaded on change), "
                    + "and/or 'settings:' holding any of these flags by long name.")
    Path config;

    @Option(names = "--kubeconfig", paramLabel = "PATH",
            description = "Watch the cluster this kubeconfig names (in-cluster config when omitted inside a Pod).")
    Path kubeconfig;

    @Option(names = "--hostname-override", paramLabel = "NAME",
            description = "This node's name (default: env NODE_NAME, else the host name).")
    String hostnameOverride;

    @Option(names = "--nodeport-addresses", paramLabel = "CIDR,...|primary", defaultValue = "",
            description = "Addresses NodePorts listen on: CIDRs, or 'primary' for the node's primary IPs (default: all local addresses).")
    String nodePortAddresses;

    @Option(names = "--cluster-ip-interface", paramLabel = "NAME",
            description = "Hold ClusterIPs, LoadBalancer and external IPs on this interface (created as a dummy, else on lo). Off by default; needs CAP_NET_ADMIN.")
    String clusterIpInterface;

    @Option(names = "--capture", paramLabel = "bind|tproxy", defaultValue = "bind",
            description = "How frontends receive traffic: a bound socket per frontend (bind, default), or nftables "
                    + "TPROXY to one transparent listener per protocol (tproxy; needs CAP_NET_ADMIN, nftables, epoll).")
    String capture;

    @Option(names = "--source-ip", paramLabel = "client|node", defaultValue = "node",
            description = "Source address of backend connections: the node's (node, default), or the client's where "
                    + "the reply returns through this node (client: ClusterIP, and external traffic of "
                    + "externalTrafficPolicy Local; needs CAP_NET_ADMIN, nftables, epoll).")
    String sourceIp;

    @Option(names = "--strict-arp",
            description = "With --cluster-ip-interface: set net.ipv4.conf.all.arp_ignore=1 and arp_announce=2 so the "
                    + "node never answers ARP for service IPs (kube-proxy's IPVS strict ARP). Needs a writable /proc/sys.")
    boolean strictArp;

    @Option(names = "--healthz-bind-address", paramLabel = "IP:PORT", defaultValue = "0.0.0.0:10256",
            description = "Serve /healthz and /livez here (default: ${DEFAULT-VALUE}); empty disables.")
    String healthzBindAddress;

    @Option(names = "--metrics-bind-address", paramLabel = "IP:PORT", defaultValue = "127.0.0.1:10249",
            description = "Serve /metrics here (default: ${DEFAULT-VALUE}); empty disables.")
    String metricsBindAddress;

    @Option(names = "--health-timeout", paramLabel = "DURATION", defaultValue = "60s", converter = DurationConverter.class,
            description = "Unhealthy once a queued update waits longer than this (default: ${DEFAULT-VALUE}).")
    Duration healthTimeout;

    @Option(names = "--sync-timeout", paramLabel = "DURATION", defaultValue = "30s", converter = DurationConverter.class,
            description = "Give up at start-up when the first full sync takes longer (default: ${DEFAULT-VALUE}).")
    Duration syncTimeout;

    @Option(names = "--balance", paramLabel = "round-robin|least-connections", defaultValue = "round-robin",
            description = "Default endpoint selection (per Service: annotation sluice.dev/balance).")
    String balance;

    @Option(names = "--connect-timeout", paramLabel = "DURATION", defaultValue = "1s", converter = DurationConverter.class,
            description = "Give up on a backend that does not accept within this and try the next (default: ${DEFAULT-VALUE}).")
    Duration connectTimeout;

    @Option(names = "--idle-timeout", paramLabel = "DURATION", defaultValue = "0", converter = DurationConverter.class,
            description = "Close connections idle this long in both directions; 0 = never, like kube-proxy (default: ${DEFAULT-VALUE}).")
    Duration idleTimeout;

    @Option(names = "--max-connections", paramLabel = "N", defaultValue = "0",
            description = "Concurrent client connections allowed in all; more are reset. 0 = no limit.")
    int maxConnections;

    @Option(names = "--ejection-failures", paramLabel = "N", defaultValue = "1",
            description = "Consecutive connect failures that eject a backend (default: ${DEFAULT-VALUE}).")
    int ejectionFailures;

    @Option(names = "--ejection-time", paramLabel = "DURATION", defaultValue = "10s", converter = DurationConverter.class,
            description = "How long an ejected backend gets no new connections (default: ${DEFAULT-VALUE}).")
    Duration ejectionTime;

    @Option(names = "--udp-flow-timeout", paramLabel = "DURATION", defaultValue = "30s", converter = DurationConverter.class,
            description = "Forget a UDP flow idle this long (default: ${DEFAULT-VALUE}).")
    Duration udpFlowTimeout;

    @Option(names = "--drain-timeout", paramLabel = "DURATION", defaultValue = "0", converter = DurationConverter.class,
            description = "Close connections to a removed frontend or endpoint after this grace; 0 = let them end (default).")
    Duration drainTimeout;

    @Option(names = "--shutdown-grace", paramLabel = "DURATION", defaultValue = "10s", converter = DurationConverter.class,
            description = "On SIGTERM stop accepting and let connections finish for this long (default: ${DEFAULT-VALUE}).")
    Duration shutdownGrace;

    @Option(names = "--event-loop-threads", paramLabel = "N", defaultValue = "1",
            description = "Data-path threads (default: ${DEFAULT-VALUE}; one beat two on 2 cores in our benchmarks).")
    int eventLoopThreads;

    @Option(names = "--transport", paramLabel = "auto|io_uring|epoll|nio", defaultValue = "auto",
            description = "Socket transport (default: ${DEFAULT-VALUE}: epoll, else nio; io_uring only when named).")
    String transport;

    @Option(names = "--service-metrics", paramLabel = "none|annotated|all", defaultValue = "annotated",
            description = "Which service ports export sluice_service_* series of their own; totals are always exported "
                    + "(default: ${DEFAULT-VALUE}: Services annotated sluice.dev/metrics: \"true\", standalone metrics: true).")
    String serviceMetrics;

    @Option(names = "--service-metrics-max", paramLabel = "N", defaultValue = "100",
            description = "At most this many service ports export series, the first in namespace/name/port order (default: ${DEFAULT-VALUE}).")
    int serviceMetricsMax;

    @Option(names = "--log-format", paramLabel = "text|json", defaultValue = "text",
            description = "Log lines for people (text) or one JSON object per line (default: ${DEFAULT-VALUE}).")
    String logFormat;

    @Option(names = {"-v", "--v"}, paramLabel = "N", defaultValue = "0",
            description = "Log verbosity as kube-proxy's --v: 0 info, 4 debug, 6 trace.")
    int verbosity;
}
