package dev.sluice.proxy.observe;

import dev.sluice.discovery.model.ServiceEntry;
import dev.sluice.discovery.model.ServicePortKey;
import dev.sluice.discovery.model.TableChange;
import dev.sluice.discovery.model.TableListener;
import dev.sluice.discovery.state.SyncTracker;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * kube-proxy's service health server: one HTTP server per Service with a
 * {@code healthCheckNodePort} (LoadBalancer, {@code externalTrafficPolicy: Local}), answering any
 * GET or HEAD path with 200 while this node has local endpoints for the Service and the proxy is
 * healthy, else 503. Headers {@code Content-Type: application/json},
 * {@code X-Content-Type-Options: nosniff}, {@code X-Load-Balancing-Endpoint-Weight: <count>}; body
 * {@code {"service":{"namespace":"ns","name":"svc"},"localEndpoints":N,"serviceProxyHealthy":true}}
 * (kube-proxy prints the same object indented).
 *
 * <p>A Service has one entry per port and family; its local endpoint count is the largest count
 * among them. kube-proxy counts distinct local ready endpoint IPs over all ports of a Service;
 * the table carries a count per port, and the largest equals kube-proxy's whenever the ports are
 * served by the same pods (the usual case) without ever counting a pod twice.
 *
 * <p>Only Services whose keys changed are reconciled. A port that cannot be bound is logged, and
 * retried at each later publication, as kube-proxy retries at each sync; it never stops the others.
 * Because it learns only from changes, add it to the publisher before the source starts.
 */
public final class HealthCheckNodePorts implements TableListener, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(HealthCheckNodePorts.class);

    /**
     * The default bind address, {@code 0.0.0.0}: as with Go's listener in kube-proxy, the JDK binds
     * it as a dual-stack wildcard, so IPv6 clients are answered too.
     */
    public static final InetAddress ANY = anyAddress();

    private final AdminEventLoop loop;
    private final InetAddress bindAddress;
    private final SyncTracker tracker;
    private final Duration healthTimeout;

    // Guarded by this: publications and close may come from different threads.
    /** Entries with a health-check node port, by Service; sorted so the port choice is stable. */
    private final Map<ServiceName, TreeMap<ServicePortKey, ServiceEntry>> entries = new HashMap<>();
    /** Open servers by Service. */
    private final Map<ServiceName, ServiceCheck> open = new HashMap<>();
    /** Services whose port could not be bound, retried at each publication. */
    private final Set<ServiceName> failed = new HashSet<>();
    private boolean closed;

    /**
     * @param loop          the admin event loop
     * @param bindAddress   where the ports listen: {@link #ANY} on a node, loopback in tests
     * @param tracker       the proxy's sync status
     * @param healthTimeout as given to {@link HealthServer}
     */
    public HealthCheckNodePorts(AdminEventLoop loop, InetAddress bindAddress, SyncTracker tracker, Duration healthTimeout) {
        this.loop = Objects.requireNonNull(loop, "loop");
        this.bindAddress = Objects.requireNonNull(bindAddress, "bindAddress");
        this.tracker = Objects.requireNonNull(tracker, "tracker");
        this.healthTimeout = Objects.requireNonNull(healthTimeout, "healthTimeout");
    }

    private static InetAddress anyAddress() {
        try {
            return InetAddress.getByAddress(new byte[4]);
        } catch (UnknownHostException e) {
            throw new AssertionError("four bytes are always an IPv4 address", e);
        }
    }

    @Override
    public synchronized void onTable(TableChange change) {
        if (closed) {
            return;
        }
        Set<ServiceName> touched = new HashSet<>(failed);
        for (ServicePortKey key : change.changed()) {
            ServiceName service = new ServiceName(key.namespace(), key.name());
            ServiceEntry entry = change.current().get(key);
            if (entry != null && entry.policy().healthCheckNodePort() != 0) {
                entries.computeIfAbsent(service, s -> new TreeMap<>()).put(key, entry);
                touched.add(service);
            } else {
                TreeMap<ServicePortKey, ServiceEntry> ports = entries.get(service);
                if (ports != null && ports.remove(key) != null) {
                    if (ports.isEmpty()) {
                        entries.remove(service);
                    }
                    touched.add(service);
                }
            }
        }
        for (ServiceName service : touched) {
            reconcile(service);
        }
    }

    private void reconcile(ServiceName service) {
        TreeMap<ServicePortKey, ServiceEntry> ports = entries.get(service);
        ServiceCheck current = open.get(service);
        if (ports == null) {
            failed.remove(service);
            if (current != null) {
                open.remove(service);
                current.close();
                log.info("[{}] health-check node port {} closed", service, current.port);
            }
            return;
        }
        int port = ports.firstEntry().getValue().policy().healthCheckNodePort();
        int local = 0;
        for (ServiceEntry entry : ports.values()) {
            local = Math.max(local, entry.localEndpoints());
        }
        if (current != null && current.port == port) {
            current.localEndpoints = local;
            return;
        }
        if (current != null) {
            open.remove(service);
            current.close();
            log.info("[{}] health-check node port {} closed", service, current.port);
        }
        ServiceCheck check = new ServiceCheck(service, port, local);
        try {
            check.server = AdminHttp.bind(loop, new InetSocketAddress(bindAddress, port), check.handler);
        } catch (IOException e) {
            if (failed.add(service)) {
                log.error("[{}] health-check node port {} not opened, will retry at the next update: {}",
                        service, port, e.getMessage());
            }
            return;
        }
        failed.remove(service);
        open.put(service, check);
        log.info("[{}] health-check node port {} open, {} local endpoints", service, port, local);
    }

    /** The ports currently open, by {@code namespace/name}. */
    synchronized Map<String, Integer> openPorts() {
        Map<String, Integer> ports = new LinkedHashMap<>();
        open.forEach((service, check) -> ports.put(service.toString(), check.port));
        return ports;
    }

    /** Closes every port; later publications are ignored. */
    @Override
    public synchronized void close() {
        closed = true;
        open.values().forEach(ServiceCheck::close);
        open.clear();
        entries.clear();
        failed.clear();
    }

    private record ServiceName(String namespace, String name) {
        @Override
        public String toString() {
            return namespace + "/" + name;
        }
    }

    /** One Service's open port. The count is written under the outer monitor, read by the admin thread. */
    private final class ServiceCheck {
        final ServiceName service;
        final int port;
        volatile int localEndpoints;
        AdminHttp.Server server;
        final AdminHandler handler = new AdminHandler() {
            @Override
            Reply reply(String path) {
                return answer();
            }
        };

        ServiceCheck(ServiceName service, int port, int localEndpoints) {
            this.service = service;
            this.port = port;
            this.localEndpoints = localEndpoints;
        }

        AdminHandler.Reply answer() {
            int count = localEndpoints;
            boolean healthy = tracker.healthy(healthTimeout);
            String body = "{\"service\":{\"namespace\":" + Json.quote(service.namespace())
                    + ",\"name\":" + Json.quote(service.name())
                    + "},\"localEndpoints\":" + count
                    + ",\"serviceProxyHealthy\":" + healthy + "}";
            Map<String, String> headers = new LinkedHashMap<>();
            headers.put("X-Content-Type-Options", "nosniff");
            headers.put("X-Load-Balancing-Endpoint-Weight", Integer.toString(count));
            HttpResponseStatus status = count != 0 && healthy ? HttpResponseStatus.OK : HttpResponseStatus.SERVICE_UNAVAILABLE;
            return new AdminHandler.Reply(status, "application/json", body, headers);
        }

        void close() {
            if (server != null) {
                server.close();
            }
        }
    }
}
