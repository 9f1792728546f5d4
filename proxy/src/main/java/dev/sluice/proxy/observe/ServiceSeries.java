package dev.sluice.proxy.observe;

import dev.sluice.discovery.model.ServicePortKey;
import dev.sluice.proxy.forward.Refusal;
import dev.sluice.proxy.forward.ServiceCounters;
import dev.sluice.proxy.forward.ServiceSlot;
import dev.sluice.proxy.forward.ServiceSlots;
import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.CounterSnapshot.CounterDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot.GaugeDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.ToDoubleFunction;

/**
 * The data path's meters, read from the {@link ServiceSlots} at scrape time: no Micrometer
 * object exists per service port. Always: totals over all service ports under the plain names
 * ({@code sluice_connections_accepted_total}, {@code sluice_bytes_total{direction}}, ...), plus
 * {@code sluice_service_ports} and how many service ports the {@link ServiceSeriesRule} exported
 * and left out. Per service port, only for the ports the rule selects: the same families under
 * {@code sluice_service_} with the labels {@code service}, {@code port}, {@code protocol} and
 * {@code family}. Totals and per-port series are separate families, so {@code sum()} over either
 * never counts twice.
 */
public final class ServiceSeries implements MultiCollector {
    private static final String[] PORT_LABELS = {"service", "port", "protocol", "family"};

    /** One counted quantity: its family name (without {@code _total}), help, and the extra label it carries. */
    private record Count(String name, String help, String label, String value, int index) {
    }

    private static final List<Count> COUNTS = counts();

    private final ServiceSlots slots;
    private final ServiceSeriesRule rule;

    /**
     * @param slots the service ports of the listener set
     * @param rule  which of them export series of their own
     */
    public ServiceSeries(ServiceSlots slots, ServiceSeriesRule rule) {
        this.slots = Objects.requireNonNull(slots, "slots");
        this.rule = Objects.requireNonNull(rule, "rule");
    }

    private static List<Count> counts() {
        List<Count> counts = new ArrayList<>();
        counts.add(new Count("connections_accepted", "Connections (TCP) or flows (UDP) accepted", null, null,
                ServiceCounters.ACCEPTED));
        for (Refusal reason : Refusal.values()) {
            counts.add(new Count("connections_refused", "Connections reset or datagrams dropped instead of being forwarded",
                    "reason", reason.tag(), ServiceCounters.refused(reason)));
        }
        counts.add(new Count("backend_connect_failures", "Backend connects that failed", null, null,
                ServiceCounters.CONNECT_FAILURES));
        counts.add(new Count("backend_connect_retries", "Connects retried on another backend", null, null,
                ServiceCounters.CONNECT_RETRIES));
        counts.add(new Count("backend_ejections", "Backends ejected after consecutive connect failures", null, null,
                ServiceCounters.EJECTIONS));
        counts.add(new Count("connections_idle_timeouts", "Connections closed for being idle", null, null,
                ServiceCounters.IDLE_TIMEOUTS));
        counts.add(new Count("bytes", "Bytes relayed", "direction", "to_backend", ServiceCounters.BYTES_TO_BACKEND));
        counts.add(new Count("bytes", "Bytes relayed", "direction", "to_client", ServiceCounters.BYTES_TO_CLIENT));
        return List.copyOf(counts);
    }

    @Override
    public MetricSnapshots collect() {
        long[] totals = slots.totals();
        ServiceSeriesRule.Selection selection = rule.select(slots.all());
        List<MetricSnapshot> families = new ArrayList<>();
        counters(families, "sluice_", " over all service ports", List.of(Labels.EMPTY), List.of(totals));
        int active = 0;
        int flows = 0;
        for (ServiceSlot slot : slots.all()) {
            active += slot.activeConnections();
            flows += slot.udpFlows();
        }
        families.add(gauge("sluice_connections_active", "TCP connections admitted and not yet closed, over all service ports",
                active));
        families.add(gauge("sluice_udp_flows_active", "UDP flows with a backend socket open, over all service ports", flows));
        families.add(gauge("sluice_service_ports", "Service ports in the table being served", slots.size()));
        families.add(gauge("sluice_service_metrics_exported",
                "Service ports exporting sluice_service_ series (--service-metrics)", selection.exported().size()));
        families.add(gauge("sluice_service_metrics_omitted",
                "Service ports that asked for sluice_service_ series but were over --service-metrics-max",
                selection.omitted()));
        if (!selection.exported().isEmpty()) {
            List<Labels> labels = new ArrayList<>();
            List<long[]> values = new ArrayList<>();
            for (ServiceSlot slot : selection.exported()) {
                labels.add(labels(slot.key()));
                long[] counts = new long[ServiceCounters.SIZE];
                slot.counters().addTo(counts);
                values.add(counts);
            }
            counters(families, "sluice_service_", " of one service port", labels, values);
            families.add(perPortGauge("sluice_service_connections_active",
                    "TCP connections admitted and not yet closed, of one service port", selection.exported(), labels,
                    ServiceSlot::activeConnections));
            families.add(perPortGauge("sluice_service_udp_flows_active",
                    "UDP flows with a backend socket open, of one service port", selection.exported(), labels,
                    ServiceSlot::udpFlows));
        }
        return new MetricSnapshots(families);
    }

    /** One counter family per count name, with a data point per label set and extra label value. */
    private static void counters(List<MetricSnapshot> families, String prefix, String scope, List<Labels> labels,
            List<long[]> values) {
        CounterSnapshot.Builder family = null;
        String current = null;
        for (Count count : COUNTS) {
            if (!count.name().equals(current)) {
                if (family != null) {
                    families.add(family.build());
                }
                current = count.name();
                family = CounterSnapshot.builder().name(prefix + count.name()).help(count.help() + scope);
            }
            for (int i = 0; i < labels.size(); i++) {
                Labels point = count.label() == null ? labels.get(i) : labels.get(i).add(count.label(), count.value());
                family.dataPoint(CounterDataPointSnapshot.builder().labels(point)
                        .value(values.get(i)[count.index()]).build());
            }
        }
        families.add(family.build());
    }

    private static GaugeSnapshot gauge(String name, String help, double value) {
        return GaugeSnapshot.builder().name(name).help(help)
                .dataPoint(GaugeDataPointSnapshot.builder().value(value).build()).build();
    }

    private static GaugeSnapshot perPortGauge(String name, String help, List<ServiceSlot> exported, List<Labels> labels,
            ToDoubleFunction<ServiceSlot> value) {
        GaugeSnapshot.Builder family = GaugeSnapshot.builder().name(name).help(help);
        for (int i = 0; i < exported.size(); i++) {
            family.dataPoint(GaugeDataPointSnapshot.builder().labels(labels.get(i))
                    .value(value.applyAsDouble(exported.get(i))).build());
        }
        return family.build();
    }

    private static Labels labels(ServicePortKey key) {
        return Labels.of(PORT_LABELS, new String[] {key.serviceName(), key.port(), key.protocol().name(), key.family().name()});
    }
}
