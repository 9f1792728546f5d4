package dev.sluice.proxy.handover;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * {@code sluice_handover_*}: listening sockets and established connections sent (by a
 * predecessor) and received (by a successor), the duration of completed handovers from the successor's TAKE to its SERVING, and
 * failures by reason. A handful of meters per process, none per Service.
 */
public final class HandoverMetrics {
    private final MeterRegistry registry;
    final Counter listenersSent;
    final Counter listenersReceived;
    final Counter connectionsSent;
    final Counter connectionsReceived;
    final Timer duration;
    private final Map<String, Counter> failures = new ConcurrentHashMap<>();

    public HandoverMetrics(MeterRegistry registry) {
        this.registry = registry;
        listenersSent = Counter.builder("sluice.handover.listeners.sent")
                .description("Listening sockets handed to a successor").register(registry);
        listenersReceived = Counter.builder("sluice.handover.listeners.received")
                .description("Listening sockets received from a predecessor").register(registry);
        connectionsSent = Counter.builder("sluice.handover.connections.sent")
                .description("Established connections handed to a successor").register(registry);
        connectionsReceived = Counter.builder("sluice.handover.connections.received")
                .description("Established connections received from a predecessor and relayed on").register(registry);
        duration = Timer.builder("sluice.handover.duration")
                .description("Completed handovers, from the successor's request to its serving every socket")
                .register(registry);
        failed(null);
    }

    /**
     * Counts a failed or refused handover. Reasons: {@code successor_gone}, {@code timeout},
     * {@code busy} (a second successor), {@code peer_uid}, {@code protocol}; null only registers
     * the meter family.
     */
    void failed(String reason) {
        String tag = reason == null ? "timeout" : reason;
        Counter counter = failures.computeIfAbsent(tag, r -> Counter.builder("sluice.handover.failures")
                .description("Handovers that failed or were refused, by reason").tag("reason", r).register(registry));
        if (reason != null) {
            counter.increment();
        }
    }
}
