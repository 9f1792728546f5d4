package dev.sluice.discovery.model;

import java.util.List;
import java.util.Objects;

/**
 * How the data path treats connections to one service port, apart from where they go.
 *
 * @param internalLocal       {@code internalTrafficPolicy: Local}
 * @param externalLocal       {@code externalTrafficPolicy: Local} (only meaningful when externally accessible)
 * @param affinity            client-IP affinity, or {@code null} for none
 * @param sourceRanges        clients allowed to reach LoadBalancer frontends; empty allows all
 * @param healthCheckNodePort the health-check node port, or 0 for none
 * @param balance             how an endpoint is picked
 * @param maxConnections      concurrent connections allowed to this service port, 0 for no limit
 * @param metrics             the user asked for this service's own metric series (annotation
 *                            {@code sluice.dev/metrics: "true"}, standalone {@code metrics: true})
 * @param sourceIp            the source address of backend connections, or {@link SourceIp#DEFAULT}
 * @param proxyProtocol       the PROXY protocol header sent to backends, or {@link ProxyProtocol#NONE}
 */
public record ServicePolicy(
        boolean internalLocal,
        boolean externalLocal,
        SessionAffinity affinity,
        List<Cidr> sourceRanges,
        int healthCheckNodePort,
        Balance balance,
        int maxConnections,
        boolean metrics,
        SourceIp sourceIp,
        ProxyProtocol proxyProtocol) {

    /** Cluster-wide traffic, no affinity, no source ranges, round robin, no limit. */
    public static final ServicePolicy DEFAULT =
            new ServicePolicy(false, false, null, List.of(), 0, Balance.ROUND_ROBIN, 0);

    /**
     * A policy whose service did not ask for its own metric series, with the proxy's default
     * source address and no PROXY protocol header.
     */
    public ServicePolicy(boolean internalLocal, boolean externalLocal, SessionAffinity affinity, List<Cidr> sourceRanges,
            int healthCheckNodePort, Balance balance, int maxConnections) {
        this(internalLocal, externalLocal, affinity, sourceRanges, healthCheckNodePort, balance, maxConnections, false);
    }

    /** A policy with the proxy's default source address and no PROXY protocol header. */
    public ServicePolicy(boolean internalLocal, boolean externalLocal, SessionAffinity affinity, List<Cidr> sourceRanges,
            int healthCheckNodePort, Balance balance, int maxConnections, boolean metrics) {
        this(internalLocal, externalLocal, affinity, sourceRanges, healthCheckNodePort, balance, maxConnections, metrics,
                SourceIp.DEFAULT, ProxyProtocol.NONE);
    }

    public ServicePolicy {
        sourceRanges = List.copyOf(sourceRanges);
        Objects.requireNonNull(balance, "balance");
        Objects.requireNonNull(sourceIp, "sourceIp");
        Objects.requireNonNull(proxyProtocol, "proxyProtocol");
        if (healthCheckNodePort != 0) {
            Ports.check("healthCheckNodePort", healthCheckNodePort);
        }
        if (maxConnections < 0) {
            throw new IllegalArgumentException("maxConnections: " + maxConnections + " (expected: 0 for no limit, or more)");
        }
    }

    /** Whether a client at this address may use a LoadBalancer frontend. */
    public boolean admits(java.net.InetAddress client) {
        if (sourceRanges.isEmpty()) {
            return true;
        }
        for (Cidr range : sourceRanges) {
            if (range.contains(client)) {
                return true;
            }
        }
        return false;
    }
}
