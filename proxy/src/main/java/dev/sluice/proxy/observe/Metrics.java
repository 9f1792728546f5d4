package dev.sluice.proxy.observe;

import dev.sluice.discovery.state.SyncObserver;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufAllocatorMetric;
import io.netty.buffer.ByteBufAllocatorMetricProvider;
import io.netty.util.internal.PlatformDependent;
import java.time.Clock;
import java.util.Objects;
import java.util.function.LongSupplier;

/**
 * The process's one meter registry and what it always carries: JVM meters (memory, GC, threads,
 * class loading, CPU, uptime, file descriptors), Netty's buffer memory, the table generation
 * ({@code sluice_table_generation}) and the kube-proxy sync meters of {@link #syncObserver()}.
 * The data path's {@code sluice_} meters are read at scrape time by the {@link ServiceSeries}
 * handed to {@link #export}. Thread-safe.
 */
public final class Metrics implements AutoCloseable {
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final JvmGcMetrics gc = new JvmGcMetrics();
    private final MicrometerSyncObserver syncObserver;

    /** Metrics on the system clock. */
    public Metrics(LongSupplier tableGeneration) {
        this(tableGeneration, Clock.systemUTC());
    }

    /**
     * @param tableGeneration the generation of the table being served, read at each scrape
     * @param clock           wall clock for the last-sync timestamp
     */
    public Metrics(LongSupplier tableGeneration, Clock clock) {
        Objects.requireNonNull(tableGeneration, "tableGeneration");
        new ClassLoaderMetrics().bindTo(registry);
        new JvmMemoryMetrics().bindTo(registry);
        gc.bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        new FileDescriptorMetrics().bindTo(registry);
        bindNetty(registry);
        Gauge.builder("sluice_table_generation", tableGeneration, supplier -> (double) supplier.getAsLong())
                .description("Generation of the service table being served; grows with every publication")
                .strongReference(true)
                .register(registry);
        syncObserver = new MicrometerSyncObserver(registry, clock);
    }

    private static void bindNetty(MeterRegistry registry) {
        if (ByteBufAllocator.DEFAULT instanceof ByteBufAllocatorMetricProvider provider) {
            ByteBufAllocatorMetric metric = provider.metric();
            Gauge.builder("sluice_netty_allocator_used_direct_memory_bytes", metric, ByteBufAllocatorMetric::usedDirectMemory)
                    .description("Direct memory held by Netty's default buffer allocator")
                    .strongReference(true)
                    .register(registry);
            Gauge.builder("sluice_netty_allocator_used_heap_memory_bytes", metric, ByteBufAllocatorMetric::usedHeapMemory)
                    .description("Heap memory held by Netty's default buffer allocator")
                    .strongReference(true)
                    .register(registry);
        }
        // Netty counts its own direct memory only when it manages it without the JDK's cleaner.
        if (PlatformDependent.usedDirectMemory() >= 0) {
            Gauge.builder("sluice_netty_direct_memory_used_bytes", PlatformDependent::usedDirectMemory)
                    .description("Direct memory Netty allocated outside the JDK's accounting")
                    .register(registry);
            Gauge.builder("sluice_netty_direct_memory_max_bytes", PlatformDependent::maxDirectMemory)
                    .description("The most direct memory Netty may allocate")
                    .register(registry);
        }
    }

    /** The registry every meter of the process goes to. */
    public PrometheusMeterRegistry registry() {
        return registry;
    }

    /** Serves the data path's meters from now on, until {@link #close()}. */
    public void export(ServiceSeries series) {
        registry.getPrometheusRegistry().register(series);
    }

    /** Hands to the table source: records syncs under kube-proxy's names. */
    public SyncObserver syncObserver() {
        return syncObserver;
    }

    /** Everything in the Prometheus text format, version 0.0.4. */
    public String scrape() {
        return registry.scrape();
    }

    @Override
    public void close() {
        gc.close();
        registry.close();
    }
}
