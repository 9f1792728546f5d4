package dev.sluice.proxy.balance;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.discovery.model.Backend;
import dev.sluice.discovery.model.Balance;
import dev.sluice.discovery.model.Frontend;
import dev.sluice.discovery.model.FrontendType;
import dev.sluice.discovery.model.IpFamily;
import dev.sluice.discovery.model.Protocol;
import dev.sluice.discovery.model.ServiceEntry;
import dev.sluice.discovery.model.ServicePolicy;
import dev.sluice.discovery.model.ServicePortKey;
import dev.sluice.discovery.model.SessionAffinity;
import dev.sluice.discovery.model.Addresses;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Picking rules of {@link Balancer} and {@link Pool}, on a fake clock (nanoseconds passed as {@code now}). */
class BalancerTest {
    private static final ServicePortKey KEY = new ServicePortKey("ns", "svc", "http", Protocol.TCP, IpFamily.IPv4);
    private static final Backend A = Backend.of("198.18.0.1", 80);
    private static final Backend B = Backend.of("198.18.0.2", 80);
    private static final Backend C = Backend.of("198.18.0.3", 80);
    private static final InetAddress CLIENT = Addresses.parseIp("198.19.0.1");
    private static final long SECOND = TimeUnit.SECONDS.toNanos(1);

    private static ServiceEntry entry(ServicePolicy policy, Backend... backends) {
        return ServiceEntry.standalone(KEY, List.of(new Frontend(FrontendType.LISTEN, CLIENT, 80)),
                List.of(backends), policy);
    }

    private static ServicePolicy policy(Balance balance, SessionAffinity affinity) {
        return new ServicePolicy(false, false, affinity, List.of(), 0, balance, 0);
    }

    private static Pool pool(Balancer balancer) {
        return balancer.routes().poolFor(FrontendType.LISTEN);
    }

    /** Picks one backend and keeps the connection open; returns it. */
    private static BackendState open(Pool pool, InetAddress client, long now) {
        Dial dial = pool.dial(client);
        dial.next(now);
        return dial.connected(now);
    }

    /** Shows that round robin from several threads gives each backend N/k ± 1 of N picks. */
    @Test
    void roundRobinIsEvenAcrossThreads() throws InterruptedException {
        Balancer balancer = new Balancer(entry(ServicePolicy.DEFAULT, A, B, C), Ejection.DEFAULT);
        Map<Backend, AtomicInteger> counts = new ConcurrentHashMap<>();
        int threads = 4;
        int perThread = 2_500;
        CountDownLatch done = new CountDownLatch(threads);
        for (int t = 0; t < threads; t++) {
            new Thread(() -> {
                for (int i = 0; i < perThread; i++) {
                    BackendState picked = open(pool(balancer), CLIENT, 0);
                    picked.release();
                    counts.computeIfAbsent(picked.backend(), b -> new AtomicInteger()).incrementAndGet();
                }
                done.countDown();
            }).start();
        }
        assertThat(done.await(10, TimeUnit.SECONDS)).isTrue();
        int n = threads * perThread;
        assertThat(counts.values()).hasSize(3).allSatisfy(c -> assertThat(c.get()).isBetween(n / 3 - 1, n / 3 + 1));
    }

    /** Shows that least-connections picks the backend with the fewest open connections. */
    @Test
    void leastConnectionsPicksTheLeastLoaded() {
        Balancer balancer = new Balancer(entry(policy(Balance.LEAST_CONNECTIONS, null), A, B, C), Ejection.DEFAULT);
        List<BackendState> open = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            open.add(open(pool(balancer), CLIENT, 0));
        }
        assertThat(open).extracting(BackendState::active).containsOnly(2);
        open.stream().filter(s -> s.backend().equals(B)).findFirst().orElseThrow().release();
        assertThat(open(pool(balancer), CLIENT, 0).backend()).isEqualTo(B);
    }

    /** Shows that a dial tries every backend once, in order after the failed one, then gives up. */
    @Test
    void dialTriesEachBackendOnce() {
        Balancer balancer = new Balancer(entry(ServicePolicy.DEFAULT, A, B, C), new Ejection(1, Duration.ZERO));
        Dial dial = pool(balancer).dial(CLIENT);
        List<Backend> tried = new ArrayList<>();
        for (BackendState s = dial.next(0); s != null; s = dial.next(0)) {
            tried.add(s.backend());
            dial.failed(0);
        }
        assertThat(tried).containsExactly(A, B, C);
        assertThat(pool(balancer).get(0).active()).isZero();
    }

    /** Shows that N consecutive failures eject a backend for the base time, longer the second time, and that success resets it. */
    @Test
    void ejectionSkipsThenReadmits() {
        Balancer balancer = new Balancer(entry(ServicePolicy.DEFAULT, A, B), new Ejection(2, Duration.ofSeconds(1)));
        BackendState a = pool(balancer).get(0);
        assertThat(a.connectFailed(0, new Ejection(2, Duration.ofSeconds(1)))).isFalse();
        assertThat(a.connectFailed(0, new Ejection(2, Duration.ofSeconds(1)))).isTrue();
        for (int i = 0; i < 4; i++) {
            BackendState picked = open(pool(balancer), CLIENT, SECOND / 2);
            picked.release();
            assertThat(picked.backend()).isEqualTo(B);
        }
        assertThat(a.ejected(SECOND - 1)).isTrue();
        assertThat(a.ejected(SECOND)).isFalse();

        a.connectFailed(SECOND, new Ejection(2, Duration.ofSeconds(1)));
        a.connectFailed(SECOND, new Ejection(2, Duration.ofSeconds(1)));
        assertThat(a.ejected(3 * SECOND - 1)).as("second ejection lasts two base times").isTrue();
        assertThat(a.ejected(3 * SECOND)).isFalse();

        a.connectSucceeded();
        a.connectFailed(4 * SECOND, new Ejection(2, Duration.ofSeconds(1)));
        a.connectFailed(4 * SECOND, new Ejection(2, Duration.ofSeconds(1)));
        assertThat(a.ejected(5 * SECOND)).as("after a success the next ejection is one base time again").isFalse();
    }

    /** Shows that when every backend is ejected, picks still return one rather than refusing. */
    @Test
    void allEjectedStillPicks() {
        Ejection ejection = new Ejection(1, Duration.ofSeconds(10));
        Balancer balancer = new Balancer(entry(ServicePolicy.DEFAULT, A, B), ejection);
        pool(balancer).get(0).connectFailed(0, ejection);
        pool(balancer).get(1).connectFailed(0, ejection);
        Dial dial = pool(balancer).dial(CLIENT);
        assertThat(dial.next(1)).isNotNull();
        dial.failed(1);
        assertThat(dial.next(1)).isNotNull();
    }

    /** Shows that affinity pins a client, refreshes the pin on use, and forgets it after the timeout of inactivity. */
    @Test
    void affinityPinsRefreshesAndExpires() {
        Balancer balancer = new Balancer(entry(policy(Balance.ROUND_ROBIN, new SessionAffinity(10)), A, B, C),
                Ejection.DEFAULT);
        InetAddress other = Addresses.parseIp("198.19.0.2");
        Backend pinned = open(pool(balancer), CLIENT, 0).backend();
        for (int i = 1; i <= 5; i++) {
            open(pool(balancer), other, i * SECOND);
            assertThat(open(pool(balancer), CLIENT, i * 8 * SECOND).backend()).isEqualTo(pinned);
        }
        long last = 5 * 8 * SECOND;
        balancer.sweep(last + 10 * SECOND);
        assertThat(balancer.pinnedClients()).isZero();
    }

    /** Shows that a pin to a backend that left the entry is dropped on update, and the client is balanced again. */
    @Test
    void affinityDropsPinsToRemovedBackends() {
        ServicePolicy sticky = policy(Balance.ROUND_ROBIN, new SessionAffinity(100));
        Balancer balancer = new Balancer(entry(sticky, A, B), Ejection.DEFAULT);
        BackendState first = open(pool(balancer), CLIENT, 0);
        Backend remaining = first.backend().equals(A) ? B : A;
        assertThat(balancer.pinnedClients()).isEqualTo(1);

        List<BackendState> retired = balancer.update(entry(sticky, remaining, C));
        assertThat(retired).containsExactly(first);
        assertThat(first.retired()).isTrue();
        assertThat(balancer.pinnedClients()).isZero();
    }

    /** Shows that backends staying across an update keep their state (open connections), so least-connections stays right. */
    @Test
    void updateCarriesStateOfRemainingBackends() {
        ServicePolicy lc = policy(Balance.LEAST_CONNECTIONS, null);
        Balancer balancer = new Balancer(entry(lc, A, B), Ejection.DEFAULT);
        BackendState a = open(pool(balancer), CLIENT, 0);
        assertThat(a.backend()).isEqualTo(A);

        balancer.update(entry(lc, C, A));
        assertThat(pool(balancer).get(1)).isSameAs(a);
        assertThat(a.active()).isEqualTo(1);
        assertThat(open(pool(balancer), CLIENT, 0).backend()).isEqualTo(C);
    }
}
