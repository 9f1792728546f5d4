package dev.sluice.proxy.listen;

import dev.sluice.discovery.model.Backend;
import dev.sluice.discovery.model.BackendTable;
import dev.sluice.discovery.model.Frontend;
import dev.sluice.discovery.model.FrontendType;
import dev.sluice.discovery.model.IpFamily;
import dev.sluice.discovery.model.Protocol;
import dev.sluice.discovery.model.ServiceEntry;
import dev.sluice.discovery.model.ServicePolicy;
import dev.sluice.discovery.model.ServicePortKey;
import dev.sluice.discovery.state.TablePublisher;
import dev.sluice.proxy.TestPorts;
import dev.sluice.proxy.net.Transport;
import dev.sluice.proxy.observe.ServiceSeries;
import dev.sluice.proxy.observe.ServiceSeriesRule;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.prometheus.metrics.model.snapshots.CounterSnapshot.CounterDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.DataPointSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot.GaugeDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import java.net.InetSocketAddress;
import java.util.Arrays;
import java.util.List;

/** A {@link ListenerSet} under test, fed by a {@link TablePublisher}, with every service port's series exported. */
final class Proxy implements AutoCloseable {
    final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    final TablePublisher publisher = new TablePublisher();
    final ListenerSet listeners;
    private final ServiceSeries series;
    private long generation;

    /** A proxy on the options' transport, or on {@code -Dsluice.test.transport} when set (to run the suite on each). */
    Proxy(ProxyOptions options) {
        this(Transport.choose(System.getProperty("sluice.test.transport", options.transport())), options);
    }

    Proxy(Transport transport, ProxyOptions options) {
        listeners = new ListenerSet(transport, options, registry);
        series = new ServiceSeries(listeners.slots(), new ServiceSeriesRule(ServiceSeriesRule.Mode.ALL, Integer.MAX_VALUE));
        publisher.addListener(listeners);
    }

    /** Publishes a table holding exactly these entries. */
    void publish(ServiceEntry... entries) {
        publisher.publish(BackendTable.of(++generation, Arrays.asList(entries)));
    }

    /** A standalone TCP service listening on 127.0.0.1:port. */
    static ServiceEntry tcp(String name, int port, ServicePolicy policy, Backend... backends) {
        return entry(name, Protocol.TCP, port, policy, backends);
    }

    /** A standalone UDP service listening on 127.0.0.1:port. */
    static ServiceEntry udp(String name, int port, ServicePolicy policy, Backend... backends) {
        return entry(name, Protocol.UDP, port, policy, backends);
    }

    static ServiceEntry entry(String name, Protocol protocol, int port, ServicePolicy policy, Backend... backends) {
        return ServiceEntry.standalone(key(name, protocol),
                List.of(new Frontend(FrontendType.LISTEN, TestBackends.LOOPBACK, port)), List.of(backends), policy);
    }

    static ServicePortKey key(String name, Protocol protocol) {
        return new ServicePortKey("", name, "", protocol, IpFamily.IPv4);
    }

    static InetSocketAddress loopback(int port) {
        return new InetSocketAddress(TestBackends.LOOPBACK, port);
    }

    /** A port nothing listens on right now, and that no later bind to port 0 will be given. */
    static int freePort() {
        return TestPorts.free();
    }

    /** A UDP port nothing listens on right now, and that no later bind to port 0 will be given. */
    static int freeUdpPort() {
        return TestPorts.free();
    }

    /**
     * The value of a service's series as scraped, by its meter name ({@code sluice.bytes} reads
     * {@code sluice_service_bytes}) with extra labels such as {@code reason}; 0 when it has none.
     */
    double count(String meter, String service, String... labels) {
        String family = "sluice_service_" + meter.substring("sluice.".length()).replace('.', '_');
        for (MetricSnapshot snapshot : series.collect()) {
            if (!snapshot.getMetadata().getName().equals(family)) {
                continue;
            }
            for (DataPointSnapshot point : snapshot.getDataPoints()) {
                if (matches(point.getLabels(), service, labels)) {
                    return value(point);
                }
            }
        }
        return 0;
    }

    double gauge(String meter, String service) {
        return count(meter, service);
    }

    /** Whether the service exports any series. */
    boolean hasSeries(String service) {
        for (MetricSnapshot snapshot : series.collect()) {
            for (DataPointSnapshot point : snapshot.getDataPoints()) {
                if (service.equals(point.getLabels().get("service"))) {
                    return true;
                }
            }
        }
        return false;
    }

    private static boolean matches(Labels labels, String service, String... extra) {
        boolean matches = service.equals(labels.get("service"));
        for (int i = 0; i + 1 < extra.length; i += 2) {
            matches &= extra[i + 1].equals(labels.get(extra[i]));
        }
        return matches;
    }

    private static double value(DataPointSnapshot point) {
        return point instanceof CounterDataPointSnapshot counter ? counter.getValue()
                : ((GaugeDataPointSnapshot) point).getValue();
    }

    @Override
    public void close() {
        listeners.close();
    }
}
