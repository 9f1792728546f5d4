package dev.sluice.proxy.listen;

import static dev.sluice.proxy.listen.Proxy.freePort;
import static dev.sluice.proxy.listen.Proxy.loopback;
import static dev.sluice.proxy.listen.Proxy.tcp;
import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.discovery.model.Addresses;
import dev.sluice.discovery.model.Frontend;
import dev.sluice.discovery.model.FrontendType;
import dev.sluice.discovery.model.IpFamily;
import dev.sluice.discovery.model.Protocol;
import dev.sluice.discovery.model.ServiceEntry;
import dev.sluice.discovery.model.ServicePolicy;
import dev.sluice.discovery.model.ServicePortKey;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

/** How a {@link ListenerSet} retries many failed binds: a bounded batch per pass, without holding back a table. */
class ListenerSetRetryTest {
    /** More failures than one pass retries. */
    private static final int FAILING = ListenerSet.RETRY_BATCH + 100;

    @AutoClose
    private static final TestBackends backends = new TestBackends();

    /** Services listening on addresses this host does not have (198.19.0.0/16), so every bind fails. */
    private static List<ServiceEntry> unbindable(TestBackends.Server server) {
        List<ServiceEntry> entries = new ArrayList<>();
        for (int i = 0; i < FAILING; i++) {
            String address = "198.19." + (i / 250) + "." + (1 + i % 250);
            entries.add(ServiceEntry.standalone(Proxy.key("remote-" + i, Protocol.TCP),
                    List.of(new Frontend(FrontendType.LISTEN, Addresses.parseIp(address), 80)),
                    List.of(server.backend()), ServicePolicy.DEFAULT));
        }
        return entries;
    }

    /** Shows that one retry pass binds at most a batch of the failed addresses, however many failed. */
    @Test
    void aRetryPassBindsAtMostABatch() {
        try (Proxy proxy = new Proxy(ProxyOptions.DEFAULT); TestBackends.Server x = backends.tcp("x")) {
            proxy.publish(unbindable(x).toArray(ServiceEntry[]::new));
            assertThat(proxy.listeners.bindFailures()).hasSize(FAILING);

            assertThat(proxy.listeners.retryFailedBinds(() -> { })).isBetween(1, ListenerSet.RETRY_BATCH);
            assertThat(proxy.listeners.bindFailures()).hasSize(FAILING);
        }
    }

    /** Shows that a table is applied in the middle of a retry pass, not after it. */
    @Test
    void aTableIsAppliedWhileRetriesArePending() throws Exception {
        int port = freePort();
        try (Proxy proxy = new Proxy(ProxyOptions.DEFAULT); TestBackends.Server x = backends.tcp("x")) {
            List<ServiceEntry> entries = unbindable(x);
            proxy.publish(entries.toArray(ServiceEntry[]::new));
            List<ServiceEntry> withLocal = new ArrayList<>(entries);
            withLocal.add(tcp("local", port, ServicePolicy.DEFAULT, x.backend()));

            AtomicInteger bindsBeforeTable = new AtomicInteger(-1);
            AtomicInteger binds = new AtomicInteger();
            int attempted = proxy.listeners.retryFailedBinds(() -> {
                binds.incrementAndGet();
                if (bindsBeforeTable.get() < 0) {
                    // Another thread publishes; it would wait for the whole pass if the pass held the lock.
                    CompletableFuture.runAsync(() -> proxy.publish(withLocal.toArray(ServiceEntry[]::new)))
                            .orTimeout(30, TimeUnit.SECONDS).join();
                    bindsBeforeTable.set(binds.get());
                }
            });

            assertThat(bindsBeforeTable.get()).isEqualTo(1);
            assertThat(attempted).isGreaterThan(1);
            assertThat(proxy.listeners.boundAddresses()).containsExactly(loopback(port));
        }
    }

    /** Shows that successive batches take every failure in turn before any comes round again. */
    @Test
    void batchesRotateThroughEveryFailure() {
        BindRetries retries = new BindRetries(3);
        List<Listener.Claim> failures = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            ServicePortKey key = new ServicePortKey("", "s" + i, "", Protocol.TCP, IpFamily.IPv4);
            InetSocketAddress address = new InetSocketAddress(Addresses.parseIp("198.19.0." + (i + 1)), 80);
            failures.add(new Listener.Claim(key, new Frontend(FrontendType.LISTEN, address.getAddress(), 80),
                    new Listener.Address(Protocol.TCP, address)));
        }
        Set<Listener.Claim> seen = new HashSet<>();
        List<Integer> sizes = new ArrayList<>();
        for (int pass = 0; pass < 3; pass++) {
            List<Listener.Claim> batch = retries.next(failures);
            sizes.add(batch.size());
            seen.addAll(batch);
        }
        assertThat(sizes).containsExactly(3, 3, 1);
        assertThat(seen).containsExactlyInAnyOrderElementsOf(failures);
        assertThat(retries.next(failures)).hasSize(3);
    }
}
