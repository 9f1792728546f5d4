package dev.sluice.proxy.listen;

import static dev.sluice.proxy.listen.Proxy.freePort;
import static dev.sluice.proxy.listen.Proxy.loopback;
import static dev.sluice.proxy.listen.Proxy.tcp;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.sluice.discovery.model.Frontend;
import dev.sluice.discovery.model.FrontendType;
import dev.sluice.discovery.model.Protocol;
import dev.sluice.discovery.model.ServiceEntry;
import dev.sluice.discovery.model.ServicePolicy;
import dev.sluice.discovery.model.Addresses;
import io.netty.channel.Channel;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

/** How a {@link ListenerSet} follows table changes: only changed keys are touched, connections outlive their entry. */
class ReconcileTest {
    @AutoClose
    private static final TestBackends backends = new TestBackends();

    private static String greeting(int port) throws IOException {
        try (Client client = Client.connect(port)) {
            return client.readLine();
        }
    }

    /** Shows that adding, changing and removing services leaves the listening channels of untouched frontends as they were. */
    @Test
    void reconcileKeepsUntouchedListeners() throws IOException {
        int portA = freePort();
        int portB = freePort();
        int portB2 = freePort();
        int portC = freePort();
        try (Proxy proxy = new Proxy(ProxyOptions.DEFAULT);
                TestBackends.Server x = backends.tcp("x"); TestBackends.Server y = backends.tcp("y")) {
            ServiceEntry a = tcp("a", portA, ServicePolicy.DEFAULT, x.backend());
            proxy.publish(a, tcp("b", portB, ServicePolicy.DEFAULT, x.backend()));
            Channel listenerA = proxy.listeners.listenerChannel(Protocol.TCP, loopback(portA));
            Channel listenerB = proxy.listeners.listenerChannel(Protocol.TCP, loopback(portB));
            assertThat(listenerA).isNotNull();
            assertThat(listenerB).isNotNull();

            // b: new backends and a second frontend; c: new; a: untouched.
            ServiceEntry b2 = ServiceEntry.standalone(Proxy.key("b", Protocol.TCP),
                    List.of(new Frontend(FrontendType.LISTEN, TestBackends.LOOPBACK, portB),
                            new Frontend(FrontendType.LISTEN, TestBackends.LOOPBACK, portB2)),
                    List.of(y.backend()), ServicePolicy.DEFAULT);
            proxy.publish(a, b2, tcp("c", portC, ServicePolicy.DEFAULT, y.backend()));
            assertThat(proxy.listeners.listenerChannel(Protocol.TCP, loopback(portA))).isSameAs(listenerA);
            assertThat(proxy.listeners.listenerChannel(Protocol.TCP, loopback(portB))).isSameAs(listenerB);
            assertThat(greeting(portB)).isEqualTo("y");
            assertThat(greeting(portB2)).isEqualTo("y");
            assertThat(greeting(portC)).isEqualTo("y");

            proxy.publish(a, b2);
            assertThat(proxy.listeners.listenerChannel(Protocol.TCP, loopback(portA))).isSameAs(listenerA);
            assertThat(proxy.listeners.listenerChannel(Protocol.TCP, loopback(portB))).isSameAs(listenerB);
            assertThat(proxy.listeners.boundAddresses())
                    .containsExactlyInAnyOrder(loopback(portA), loopback(portB), loopback(portB2));
            assertThatThrownBy(() -> Client.connect(portC)).isInstanceOf(UncheckedIOException.class);
            assertThat(proxy.hasSeries("c")).isFalse();
            assertThat(proxy.hasSeries("a")).isTrue();
        }
    }

    /** Shows that an established connection keeps working after its endpoint and then its frontend left the table. */
    @Test
    void establishedConnectionSurvivesRemoval() throws IOException {
        int port = freePort();
        try (Proxy proxy = new Proxy(ProxyOptions.DEFAULT);
                TestBackends.Server x = backends.tcp("x"); TestBackends.Server y = backends.tcp("y")) {
            proxy.publish(tcp("svc", port, ServicePolicy.DEFAULT, x.backend()));
            try (Client client = Client.connect(port)) {
                assertThat(client.readLine()).isEqualTo("x");

                proxy.publish(tcp("svc", port, ServicePolicy.DEFAULT, y.backend()));
                assertThat(greeting(port)).isEqualTo("y");
                client.write("still x\n");
                assertThat(client.readLine()).isEqualTo("still x");

                proxy.publish();
                assertThatThrownBy(() -> Client.connect(port)).isInstanceOf(UncheckedIOException.class);
                client.write("still open\n");
                assertThat(client.readLine()).isEqualTo("still open");
            }
        }
    }

    /** Shows that with a drain timeout, a connection to a removed endpoint is closed once the grace period ends. */
    @Test
    void drainTimeoutEndsConnectionsToRemovedEndpoints() throws IOException {
        int port = freePort();
        try (Proxy proxy = new Proxy(ProxyOptions.DEFAULT.withDrainTimeout(Duration.ofMillis(200)));
                TestBackends.Server x = backends.tcp("x"); TestBackends.Server y = backends.tcp("y")) {
            proxy.publish(tcp("svc", port, ServicePolicy.DEFAULT, x.backend(), y.backend()));
            try (Client toX = Client.connect(port); Client toY = Client.connect(port)) {
                assertThat(toX.readLine()).isEqualTo("x");
                assertThat(toY.readLine()).isEqualTo("y");
                proxy.publish(tcp("svc", port, ServicePolicy.DEFAULT, y.backend()));
                assertThat(toX.readLine()).isNull();
                toY.write("kept\n");
                assertThat(toY.readLine()).isEqualTo("kept");
            }
        }
    }

    /**
     * Shows that an address in use is reported, counted and retried (a table that closes no
     * listener leaves it to the periodic retry), while other services listen.
     */
    @Test
    void bindFailureIsReportedAndRetried() throws IOException {
        int busyPort = freePort();
        int freePort = freePort();
        try (Proxy proxy = new Proxy(ProxyOptions.DEFAULT); TestBackends.Server x = backends.tcp("x")) {
            ServiceEntry busy = tcp("busy", busyPort, ServicePolicy.DEFAULT, x.backend());
            ServiceEntry fine = tcp("fine", freePort, ServicePolicy.DEFAULT, x.backend());
            try (ServerSocket squatter = new ServerSocket(busyPort, 1, TestBackends.LOOPBACK)) {
                proxy.publish(busy, fine);
                assertThat(proxy.listeners.bindFailures()).singleElement().satisfies(failure -> {
                    assertThat(failure.key()).isEqualTo(busy.key());
                    assertThat(failure.address()).isEqualTo(loopback(busyPort));
                    assertThat(failure.reason()).containsIgnoringCase("in use");
                });
                assertThat(proxy.registry.get("sluice.listeners.bind.failures").counter().count()).isEqualTo(1);
                assertThat(greeting(freePort)).isEqualTo("x");
            }
            proxy.publish(busy, fine, tcp("other", freePort(), ServicePolicy.DEFAULT, x.backend()));
            await().atMost(Duration.ofSeconds(15)).until(() -> proxy.listeners.bindFailures().isEmpty());
            assertThat(greeting(busyPort)).isEqualTo("x");
        }
    }

    /** Shows that two services claiming one address: the first keeps it, the second is a conflict, and gets it once free. */
    @Test
    void secondClaimOfAnAddressIsAConflict() throws IOException {
        int port = freePort();
        try (Proxy proxy = new Proxy(ProxyOptions.DEFAULT);
                TestBackends.Server x = backends.tcp("x"); TestBackends.Server y = backends.tcp("y")) {
            ServiceEntry first = tcp("first", port, ServicePolicy.DEFAULT, x.backend());
            ServiceEntry second = tcp("second", port, ServicePolicy.DEFAULT, y.backend());
            proxy.publish(first);
            proxy.publish(first, second);
            assertThat(proxy.listeners.bindFailures()).singleElement()
                    .satisfies(f -> assertThat(f.reason()).isEqualTo("conflict with " + first.key()));
            assertThat(greeting(port)).isEqualTo("x");

            proxy.publish(second);
            assertThat(proxy.listeners.bindFailures()).isEmpty();
            assertThat(greeting(port)).isEqualTo("y");
        }
    }

    /** Shows that a frontend on an address this host does not have is a bind failure that names the address. */
    @Test
    void nonLocalAddressIsABindFailure() throws IOException {
        int port = freePort();
        try (Proxy proxy = new Proxy(ProxyOptions.DEFAULT); TestBackends.Server x = backends.tcp("x")) {
            ServiceEntry remote = ServiceEntry.standalone(Proxy.key("remote", Protocol.TCP),
                    List.of(new Frontend(FrontendType.LISTEN, Addresses.parseIp("198.18.0.10"), 80)),
                    List.of(x.backend()), ServicePolicy.DEFAULT);
            proxy.publish(remote, tcp("local", port, ServicePolicy.DEFAULT, x.backend()));
            assertThat(proxy.listeners.bindFailures()).singleElement().satisfies(f -> {
                assertThat(f.address().getAddress()).isEqualTo(Addresses.parseIp("198.18.0.10"));
                assertThat(f.reason()).containsIgnoringCase("assign");
            });
            assertThat(greeting(port)).isEqualTo("x");
        }
    }

    /** Shows that stopAccepting closes the listeners but lets established connections finish. */
    @Test
    void stopAcceptingKeepsEstablishedConnections() throws IOException {
        int port = freePort();
        try (Proxy proxy = new Proxy(ProxyOptions.DEFAULT); TestBackends.Server x = backends.tcp("x")) {
            proxy.publish(tcp("svc", port, ServicePolicy.DEFAULT, x.backend()));
            try (Client client = Client.connect(port)) {
                assertThat(client.readLine()).isEqualTo("x");
                proxy.listeners.stopAccepting();
                assertThat(proxy.listeners.boundAddresses()).isEmpty();
                assertThatThrownBy(() -> Client.connect(port)).isInstanceOf(UncheckedIOException.class);
                assertThat(proxy.listeners.activeConnections()).isEqualTo(1);
                client.write("bye\n");
                assertThat(client.readLine()).isEqualTo("bye");
            }
            await().until(() -> proxy.listeners.activeConnections() == 0);
        }
    }
}
