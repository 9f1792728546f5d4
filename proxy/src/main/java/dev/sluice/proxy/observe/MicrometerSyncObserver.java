package dev.sluice.proxy.observe;

import dev.sluice.discovery.state.SyncObserver;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.prometheus.metrics.model.registry.Collector;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricFamilyDescriptor;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Publishes what a table source reports under kube-proxy's metric names and buckets:
 * {@code kubeproxy_sync_proxy_rules_duration_seconds}, {@code kubeproxy_network_programming_duration_seconds},
 * {@code kubeproxy_sync_proxy_rules_endpoint_changes_total}, {@code kubeproxy_sync_proxy_rules_service_changes_total},
 * {@code kubeproxy_sync_proxy_rules_last_timestamp_seconds} and the gauge
 * {@code kubeproxy_sync_proxy_rules_no_local_endpoints_total{traffic_policy="internal|external"}}, plus
 * Sluice's {@code sluice_rejected_objects_total{kind,reason}}.
 *
 * <p>Implementation notes: counters and the timestamp gauge are Micrometer meters. The two
 * histograms and the no-local-endpoints gauge are Prometheus collectors in the same registry,
 * because Micrometer renames a gauge ending in {@code _total} (it would be exposed as
 * {@code ..._no_local_endpoints}) and rejects kube-proxy's bucket at 0.
 */
public final class MicrometerSyncObserver implements SyncObserver {
    static final String NO_LOCAL_ENDPOINTS = "kubeproxy_sync_proxy_rules_no_local_endpoints_total";

    private final PrometheusMeterRegistry registry;
    private final Clock clock;
    private final BucketHistogram syncDuration;
    private final BucketHistogram networkProgramming;
    private final Counter serviceChanges;
    private final Counter endpointChanges;
    private final AtomicLong lastSyncMillis = new AtomicLong();
    private final AtomicLong noLocalInternal = new AtomicLong();
    private final AtomicLong noLocalExternal = new AtomicLong();

    /**
     * @param registry where the meters go
     * @param clock    wall clock for {@code kubeproxy_sync_proxy_rules_last_timestamp_seconds}
     */
    public MicrometerSyncObserver(PrometheusMeterRegistry registry, Clock clock) {
        this.registry = Objects.requireNonNull(registry, "registry");
        this.clock = Objects.requireNonNull(clock, "clock");
        syncDuration = new BucketHistogram("kubeproxy_sync_proxy_rules_duration_seconds",
                "SyncProxyRules latency in seconds", BucketHistogram.exponential(0.001, 2, 15));
        networkProgramming = new BucketHistogram("kubeproxy_network_programming_duration_seconds",
                "In Cluster Network Programming Latency in seconds", networkProgrammingBounds());
        registry.getPrometheusRegistry().register(syncDuration);
        registry.getPrometheusRegistry().register(networkProgramming);
        registry.getPrometheusRegistry().register(new NoLocalEndpoints());
        serviceChanges = Counter.builder("kubeproxy_sync_proxy_rules_service_changes_total")
                .description("Cumulative proxy rules Service changes").register(registry);
        endpointChanges = Counter.builder("kubeproxy_sync_proxy_rules_endpoint_changes_total")
                .description("Cumulative proxy rules Endpoint changes").register(registry);
        Gauge.builder("kubeproxy_sync_proxy_rules_last_timestamp_seconds", lastSyncMillis, millis -> millis.get() / 1000.0)
                .description("The last time proxy rules were successfully synced")
                .strongReference(true)
                .register(registry);
    }

    /** kube-proxy's: 0, then 0.25 s and 0.5 s, each second to 59 s, every 5 s to 115 s, every 30 s to 5 min. */
    static double[] networkProgrammingBounds() {
        double[][] parts = {
                {0},
                BucketHistogram.linear(0.25, 0.25, 2),
                BucketHistogram.linear(1, 1, 59),
                BucketHistogram.linear(60, 5, 12),
                BucketHistogram.linear(120, 30, 7)};
        int length = 0;
        for (double[] part : parts) {
            length += part.length;
        }
        double[] out = new double[length];
        int at = 0;
        for (double[] part : parts) {
            System.arraycopy(part, 0, out, at, part.length);
            at += part.length;
        }
        return out;
    }

    @Override
    public void synced(Duration duration, int serviceChanges, int endpointChanges) {
        syncDuration.observe(seconds(duration));
        this.serviceChanges.increment(serviceChanges);
        this.endpointChanges.increment(endpointChanges);
        lastSyncMillis.set(clock.millis());
    }

    @Override
    public void networkProgrammed(Duration latency) {
        networkProgramming.observe(seconds(latency));
    }

    @Override
    public void rejected(String kind, String reason) {
        Counter.builder("sluice_rejected_objects_total")
                .description("Objects or files rejected, or partly skipped, by kind and reason")
                .tag("kind", kind)
                .tag("reason", reason)
                .register(registry)
                .increment();
    }

    @Override
    public void noLocalEndpoints(int internal, int external) {
        noLocalInternal.set(internal);
        noLocalExternal.set(external);
    }

    private static double seconds(Duration duration) {
        return duration.getSeconds() + duration.getNano() / 1e9;
    }

    /** A gauge in kube-proxy despite its {@code _total} suffix: service ports, recounted each sync. */
    private final class NoLocalEndpoints implements Collector {
        private static final String HELP = "Number of services with a Local traffic policy and no endpoints";

        @Override
        public MetricSnapshot collect() {
            return GaugeSnapshot.builder()
                    .name(NO_LOCAL_ENDPOINTS)
                    .help(HELP)
                    .dataPoint(point("internal", noLocalInternal.get()))
                    .dataPoint(point("external", noLocalExternal.get()))
                    .build();
        }

        private GaugeSnapshot.GaugeDataPointSnapshot point(String policy, long value) {
            return GaugeSnapshot.GaugeDataPointSnapshot.builder()
                    .labels(Labels.of("traffic_policy", policy))
                    .value(value)
                    .build();
        }

        @Override
        public MetricFamilyDescriptor getMetricFamilyDescriptor() {
            return MetricFamilyDescriptor.gauge(NO_LOCAL_ENDPOINTS).help(HELP).labelNames("traffic_policy").build();
        }
    }
}
