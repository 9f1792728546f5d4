package dev.sluice.proxy.forward;

import dev.sluice.discovery.model.ServicePortKey;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The data-path meters of one service port, registered when the port appears and removed when
 * it goes. Event loops hold direct references, so counting a read is one add, never a lookup.
 */
public final class ServiceMeters {
    private final MeterRegistry registry;
    private final List<Meter> meters = new ArrayList<>();
    final Counter accepted;
    final Counter connectFailures;
    final Counter connectRetries;
    final Counter ejections;
    final Counter idleTimeouts;
    final Counter bytesToBackend;
    final Counter bytesToClient;
    private final Map<Refusal, Counter> refused = new EnumMap<>(Refusal.class);

    ServiceMeters(MeterRegistry registry, ServicePortKey key, AtomicInteger activeConnections, AtomicInteger udpFlows) {
        this.registry = registry;
        Tags tags = Tags.of("service", key.serviceName(), "port", key.port(),
                "protocol", key.protocol().name(), "family", key.family().name());
        accepted = counter("sluice.connections.accepted", tags, "Connections (TCP) or flows (UDP) accepted");
        connectFailures = counter("sluice.backend.connect.failures", tags, "Backend connects that failed");
        connectRetries = counter("sluice.backend.connect.retries", tags, "Connects retried on another backend");
        ejections = counter("sluice.backend.ejections", tags, "Backends ejected after consecutive connect failures");
        idleTimeouts = counter("sluice.connections.idle.timeouts", tags, "Connections closed for being idle");
        bytesToBackend = counter("sluice.bytes", tags.and("direction", "to_backend"), "Bytes relayed");
        bytesToClient = counter("sluice.bytes", tags.and("direction", "to_client"), "Bytes relayed");
        for (Refusal reason : Refusal.values()) {
            refused.put(reason, counter("sluice.connections.refused", tags.and("reason", reason.tag()),
                    "Connections reset or datagrams dropped instead of being forwarded"));
        }
        meters.add(Gauge.builder("sluice.connections.active", activeConnections, AtomicInteger::get)
                .tags(tags).description("TCP connections admitted and not yet closed").register(registry));
        meters.add(Gauge.builder("sluice.udp.flows.active", udpFlows, AtomicInteger::get)
                .tags(tags).description("UDP flows with a backend socket open").register(registry));
    }

    private Counter counter(String name, Tags tags, String description) {
        Counter counter = Counter.builder(name).tags(tags).description(description).register(registry);
        meters.add(counter);
        return counter;
    }

    /** The refusal counter for a reason. */
    public Counter refused(Refusal reason) {
        return refused.get(reason);
    }

    void remove() {
        for (Meter meter : meters) {
            registry.remove(meter);
        }
    }
}
