package dev.sluice.benchmarks;

import dev.sluice.discovery.model.Backend;
import dev.sluice.discovery.model.BackendTable;
import dev.sluice.discovery.model.Frontend;
import dev.sluice.discovery.model.FrontendType;
import dev.sluice.discovery.model.IpFamily;
import dev.sluice.discovery.model.Protocol;
import dev.sluice.discovery.model.ServiceEntry;
import dev.sluice.discovery.model.ServicePolicy;
import dev.sluice.discovery.model.ServicePortKey;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;

/**
 * Deterministic tables for the benchmarks: service {@code i} is {@code bench/svc-i}, port
 * {@code http}, with a ClusterIP from 198.18.0.0/16 and endpoints from 198.19.0.0/16 (the
 * RFC 2544 benchmarking range; nothing ever connects to them). Built once per trial, never
 * inside a measured method.
 */
final class Fixtures {
    static final String NAMESPACE = "bench";
    private static final int ENDPOINT_PORT = 8080;

    private Fixtures() {
    }

    /** The key of service {@code i}. */
    static ServicePortKey key(int service) {
        return new ServicePortKey(NAMESPACE, "svc-" + service, "http", Protocol.TCP, IpFamily.IPv4);
    }

    /**
     * The entry of service {@code i} with {@code endpoints} endpoints; {@code revision} shifts the
     * last endpoint's port, so two revisions differ in exactly one endpoint, as after a pod restart.
     */
    static ServiceEntry entry(int service, int endpoints, int revision) {
        List<Backend> backends = new ArrayList<>(endpoints);
        for (int e = 0; e < endpoints; e++) {
            int index = service * endpoints + e;
            int portShift = e == endpoints - 1 ? revision : 0;
            // 65,536 addresses in 198.19/16; beyond that the port tells endpoints apart.
            int port = ENDPOINT_PORT + (index >>> 16) * 64 + portShift;
            backends.add(new Backend(new InetSocketAddress(ip(198, 19, index >>> 8, index), port)));
        }
        Frontend clusterIp = new Frontend(FrontendType.CLUSTER_IP, ip(198, 18, service >>> 8, service), 80);
        return new ServiceEntry(key(service), List.of(clusterIp), backends, null, ServicePolicy.DEFAULT, 0, endpoints);
    }

    /** A table of {@code services} services with {@code endpoints} endpoints each, revision 0. */
    static BackendTable table(int services, int endpoints) {
        List<ServiceEntry> entries = new ArrayList<>(services);
        for (int i = 0; i < services; i++) {
            entries.add(entry(i, endpoints, 0));
        }
        return BackendTable.of(1, entries);
    }

    private static InetAddress ip(int a, int b, int c, int d) {
        try {
            return InetAddress.getByAddress(new byte[] {(byte) a, (byte) b, (byte) c, (byte) d});
        } catch (UnknownHostException e) {
            throw new IllegalStateException("four bytes are always an IPv4 address", e);
        }
    }
}
