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
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.InetSocketAddress;
import java.util.Arrays;
import java.util.List;

/** A {@link ListenerSet} under test, fed by a {@link TablePublisher}, with its meters. */
final class Proxy implements AutoCloseable {
    final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    final TablePublisher publisher = new TablePublisher();
    final ListenerSet listeners;
    private long generation;

    /** A proxy on the options' transport, or on {@code -Dsluice.test.transport} when set (to run the suite on each). */
    Proxy(ProxyOptions options) {
        this(Transport.choose(System.getProperty("sluice.test.transport", options.transport())), options);
    }

    Proxy(Transport transport, ProxyOptions options) {
        listeners = new ListenerSet(transport, options, registry);
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

    /** The value of a service's counter, with extra tags such as {@code reason}. */
    double count(String meter, String service, String... tags) {
        Counter counter = registry.find(meter).tag("service", service).tags(tags).counter();
        return counter == null ? 0 : counter.count();
    }

    double gauge(String meter, String service) {
        return registry.get(meter).tag("service", service).gauge().value();
    }

    @Override
    public void close() {
        listeners.close();
    }
}
