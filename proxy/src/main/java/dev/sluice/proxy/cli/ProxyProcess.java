package dev.sluice.proxy.cli;

import dev.sluice.discovery.file.StaticFileSource;
import dev.sluice.discovery.kubernetes.KubernetesSource;
import dev.sluice.discovery.model.Addresses;
import dev.sluice.discovery.model.BackendTable;
import dev.sluice.discovery.model.Balance;
import dev.sluice.discovery.state.SyncTracker;
import dev.sluice.discovery.state.TablePublisher;
import dev.sluice.discovery.state.TableSource;
import dev.sluice.proxy.handover.HandoverClient;
import dev.sluice.proxy.handover.HandoverMetrics;
import dev.sluice.proxy.handover.HandoverServer;
import dev.sluice.proxy.iface.ClusterIpInterface;
import dev.sluice.proxy.iface.IpCommand;
import dev.sluice.proxy.iface.StrictArp;
import dev.sluice.proxy.listen.ListenerSet;
import dev.sluice.proxy.listen.ListenerStatus;
import dev.sluice.proxy.listen.ProxyOptions;
import dev.sluice.proxy.net.Transport;
import dev.sluice.proxy.observe.AdminEventLoop;
import dev.sluice.proxy.observe.BindAddress;
import dev.sluice.proxy.observe.HealthCheckNodePorts;
import dev.sluice.proxy.observe.HealthServer;
import dev.sluice.proxy.observe.Metrics;
import dev.sluice.proxy.observe.MetricsServer;
import dev.sluice.proxy.observe.ServiceSeries;
import dev.sluice.proxy.observe.ServiceSeriesRule;
import dev.sluice.proxy.tproxy.CaptureScope;
import dev.sluice.proxy.tproxy.Nft;
import dev.sluice.proxy.tproxy.Transparency;
import dev.sluice.proxy.tproxy.TransparentRules;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One running proxy: admin servers, the listener set, the table source, and their orderly
 * shutdown. Start-up order matters: health answers (503) while the first sync runs, addresses
 * are held before listeners bind them, and listeners bind only when the first complete table is
 * published.
 */
final class ProxyProcess implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ProxyProcess.class);

    private final Deque<AutoCloseable> closers = new ArrayDeque<>();
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final TablePublisher publisher = new TablePublisher();
    private final SyncTracker tracker = SyncTracker.systemClock();
    /** Written once during start-up; read by the /status page on the admin loop. */
    private volatile ListenerSet listeners;
    private volatile ClusterIpInterface clusterIp;
    private TableSource source;
    private InetSocketAddress healthAddress;
    private InetSocketAddress metricsAddress;
    /** The admin servers and health-check node ports: a successor binds the same ports after a handover. */
    private volatile HealthServer healthServer;
    private MetricsServer metricsServer;
    private HealthCheckNodePorts healthCheckNodePorts;
    private HandoverServer handoverServer;
    /** Installs the kernel rules of --capture tproxy / --source-ip client; null when neither is asked. */
    private Supplier<TransparentRules> rulesStarter;
    private volatile TransparentRules rules;
    private HandoverFlags handover = HandoverFlags.none();

    /** Starts everything the flags ask for; on failure closes what was started and rethrows. */
    static ProxyProcess start(ProxyFlags flags, ServeMode mode) throws Exception {
        return start(flags, mode, HandoverFlags.none());
    }

    /**
     * As {@link #start(ProxyFlags, ServeMode)}, and with {@code --handover-socket}: takes the
     * listening sockets from a predecessor serving it, if one runs, then serves it for the next.
     */
    static ProxyProcess start(ProxyFlags flags, ServeMode mode, HandoverFlags handover) throws Exception {
        ProxyProcess process = new ProxyProcess();
        process.handover = handover;
        try {
            process.startAll(flags, mode);
            return process;
        } catch (Exception | Error e) {
            process.close();
            throw e;
        }
    }

    private void startAll(ProxyFlags flags, ServeMode mode) throws Exception {
        log.info(MemoryBudget.current().describe());
        ProxyOptions options = Flags.proxyOptions(flags);
        // Checked in every mode, though only a cluster source uses it: a typo must not pass unseen.
        Balance balance = Flags.balance(flags.balance);
        Transport transport = Transport.choose(flags.transport);
        Transparency transparency = Transparency.parse(flags.capture, flags.sourceIp);
        if (transparency.needsKernelRules() && !transport.name().equals("epoll")) {
            throw new IllegalArgumentException(transparency.describe() + ": needs the epoll transport (transport: "
                    + transport.name() + ")");
        }
        ServiceSeriesRule seriesRule = ServiceSeriesRule.of(flags.serviceMetrics, flags.serviceMetricsMax);

        boolean exitsAfterHandover = handover.exitsAfterHandover();
        if (handover.socket != null && !transport.name().equals("epoll")) {
            throw new IllegalArgumentException("handover-socket: " + handover.socket + " needs the epoll transport"
                    + " (expected: --transport auto or epoll, on Linux; this is " + transport.name() + ")");
        }

        AdminEventLoop admin = new AdminEventLoop();
        closers.push(admin);
        Metrics metrics = new Metrics(() -> publisher.current().generation());
        closers.push(metrics);
        HandoverMetrics handoverMetrics = handover.socket == null ? null : new HandoverMetrics(metrics.registry());
        HandoverClient predecessor = null;
        if (handover.socket != null) {
            predecessor = oneLine(() -> HandoverClient.find(handover.socket, handover.timeout, handoverMetrics));
            if (predecessor != null) {
                closers.push(predecessor);
            }
        }
        if (predecessor == null) {
            startAdminServers(flags, mode, admin, metrics);
        }

        if (flags.clusterIpInterface != null && !flags.clusterIpInterface.isEmpty()) {
            if (flags.strictArp) {
                StrictArp.apply(Path.of("/proc/sys"));
            }
            // Captured frontends need no address: nftables diverts their packets whatever the interface.
            ClusterIpInterface addresses = new ClusterIpInterface(flags.clusterIpInterface, IpCommand.system(),
                    key -> !transparency.tproxyCapture() || !CaptureScope.captured(key));
            addresses.start();
            closers.push(addresses);
            // Registered before the listeners: an address must exist before a listener binds it.
            publisher.addListener(addresses);
            clusterIp = addresses;
        }
        listeners = new ListenerSet(transport, options, metrics.registry(), transparency);
        closers.push(listeners);
        metrics.export(new ServiceSeries(listeners.slots(), seriesRule));
        healthCheckNodePorts = new HealthCheckNodePorts(admin, HealthCheckNodePorts.ANY, tracker, flags.healthTimeout);
        closers.push(healthCheckNodePorts);
        if (transparency.needsKernelRules()) {
            ListenerSet.CapturePorts ports = listeners.capturePorts();
            rulesStarter = () -> TransparentRules.start(transparency, ports == null ? 0 : ports.tcp(),
                    ports == null ? 0 : ports.udp(), family -> options.nodePortAddresses().resolve(family), Nft.system(),
                    IpCommand.system(), metrics.registry(), publisher.current().entries());
        }
        if (predecessor == null) {
            publisher.addListener(listeners);
            startRules(false);
            publisher.addListener(healthCheckNodePorts);
        }

        source = switch (mode.kind()) {
            case FILE -> new StaticFileSource(mode.config(), publisher, tracker, metrics.syncObserver());
            case KUBERNETES -> kubernetesSource(flags, mode, balance, metrics);
        };
        closers.push(source);
        source.start();

        if (predecessor != null) {
            HandoverClient from = predecessor;
            oneLine(() -> {
                takeOver(from, flags, mode, admin, metrics);
                return from;
            });
        }
        if (handover.socket != null) {
            handoverServer = new HandoverServer(handover.socket, handover.timeout,
                    new HandingOver(this, exitsAfterHandover, flags.shutdownGrace), handoverMetrics);
            closers.push(handoverServer);
            handoverServer.start();
        }

        BackendTable table = publisher.current();
        log.info("serving generation {}: {} service ports on {} listeners{} ({} transport, {} event loop thread(s)){}{}",
                table.generation(), table.size(), listeners.boundAddresses().size(),
                transparency.tproxyCapture() ? " and " + listeners.capturedFrontends() + " captured frontends" : "",
                transport.name(), options.eventLoopThreads(),
                healthAddress == null ? "" : ", health on " + Addresses.format(healthAddress),
                metricsAddress == null ? "" : ", metrics on " + Addresses.format(metricsAddress));
        int failures = listeners.bindFailures().size();
        if (failures > 0) {
            log.warn("{} frontend address(es) could not be bound yet (logged above); retrying every few seconds", failures);
        }
    }

    /**
     * With the first table ready: takes the predecessor's listening sockets, serves those the
     * table wants (the rest close), and binds the admin and health-check ports it released.
     */
    private void takeOver(HandoverClient predecessor, ProxyFlags flags, ServeMode mode, AdminEventLoop admin,
            Metrics metrics) throws IOException {
        listeners.adopt(predecessor.take());
        publisher.addListenerCaughtUp(listeners);
        int connections = predecessor.serving(listeners.boundAddresses().size(), listeners::resumeConnection,
                listeners::restoreAffinity);
        log.info("took over from pid {}: serving {} listener(s) and {} established connection(s)",
                predecessor.predecessorPid(), listeners.boundAddresses().size(), connections);
        synchronized (closers) {
            closers.remove(predecessor);
        }
        predecessor.close();
        // Only now: until the handover is done the predecessor may resume, and packets must still
        // reach its capture listeners. Replacing its nftables table diverts them here in one step.
        startRules(true);
        startAdminServers(flags, mode, admin, metrics);
        publisher.addListenerCaughtUp(healthCheckNodePorts);
    }

    private interface HandoverStep<T> {
        T run() throws IOException;
    }

    /** A failed handover is the user's to act on: one line naming the socket, no stack trace. */
    private static <T> T oneLine(HandoverStep<T> step) {
        try {
            return step.run();
        } catch (IOException e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
    }

    private void startAdminServers(ProxyFlags flags, ServeMode mode, AdminEventLoop admin, Metrics metrics)
            throws IOException {
        if (!flags.healthzBindAddress.isEmpty()) {
            HealthServer health = new HealthServer(admin,
                    BindAddress.parse("healthz-bind-address", flags.healthzBindAddress, HealthServer.DEFAULT_PORT),
                    tracker, flags.healthTimeout, metrics.registry());
            healthAddress = bind("healthz-bind-address", flags.healthzBindAddress, health::start);
            closers.push(health);
            healthServer = health;
        }
        if (!flags.metricsBindAddress.isEmpty()) {
            MetricsServer server = new MetricsServer(admin,
                    BindAddress.parse("metrics-bind-address", flags.metricsBindAddress, MetricsServer.DEFAULT_PORT),
                    metrics, page -> LiveStatus.render(publisher.current(), mode, listenerStatus(), clusterIp, page));
            metricsAddress = bind("metrics-bind-address", flags.metricsBindAddress, server::start);
            closers.push(server);
            metricsServer = server;
        }
    }

    /**
     * Installs the kernel rules, registered after the listener set: a destination is known to it
     * before nftables diverts packets there. {@code caughtUp} when the table has already begun.
     */
    private void startRules(boolean caughtUp) {
        if (rulesStarter == null) {
            return;
        }
        TransparentRules started = rulesStarter.get();
        synchronized (closers) {
            closers.push(started);
        }
        rules = started;
        if (caughtUp) {
            publisher.addListenerCaughtUp(started);
        } else {
            publisher.addListener(started);
        }
    }

    /**
     * After a handover: releases the ports the successor binds next (admin servers, health-check
     * node ports) and leaves the Service addresses on the interface to it. Called once, on the
     * handover's worker thread.
     */
    void releaseToSuccessor() {
        publisher.removeListener(healthCheckNodePorts);
        healthCheckNodePorts.close();
        for (AutoCloseable server : new AutoCloseable[] {healthServer, metricsServer}) {
            if (server != null) {
                try {
                    server.close();
                } catch (Exception e) {
                    log.warn("closing {} failed", server, e);
                }
            }
        }
        ClusterIpInterface addresses = clusterIp;
        if (addresses != null) {
            synchronized (closers) {
                closers.remove(addresses);
            }
            log.info("leaving the Service addresses on {} to the successor", addresses.device());
        }
        TransparentRules kernelRules = rules;
        if (kernelRules != null) {
            publisher.removeListener(kernelRules);
            synchronized (closers) {
                closers.remove(kernelRules);
            }
            kernelRules.leaveToSuccessor();
        }
    }

    /**
     * After {@link #releaseToSuccessor}: keeps the capture listeners open until the successor's
     * nftables table has replaced this process's (at most {@code --handover-timeout}), so no
     * diverted packet finds them closed in between.
     */
    void awaitRulesReplaced() throws InterruptedException {
        TransparentRules kernelRules = rules;
        if (kernelRules != null && !kernelRules.awaitReplaced(handover.timeout)) {
            log.warn("the successor did not replace nftables table inet {} within {}; closing the capture listeners",
                    TransparentRules.TABLE, DurationConverter.format(handover.timeout));
        }
    }

    /** Readiness passes to a successor while it takes over. */
    void successorConnected(boolean connected) {
        HealthServer health = healthServer;
        if (health != null) {
            health.handingOver(connected);
        }
    }

    ListenerSet listeners() {
        return listeners;
    }

    private TableSource kubernetesSource(ProxyFlags flags, ServeMode mode, Balance balance, Metrics metrics) {
        KubernetesClient client = Flags.kubernetesClient(mode.kubeconfig());
        closers.push(client);
        return new KubernetesSource(client, mode.nodeName(), balance, publisher, tracker,
                metrics.syncObserver(), flags.syncTimeout);
    }

    private interface Binder {
        InetSocketAddress bind() throws IOException;
    }

    private static InetSocketAddress bind(String flag, String value, Binder binder) throws IOException {
        try {
            return binder.bind();
        } catch (IOException e) {
            Throwable reason = e.getCause() instanceof BindException ? e.getCause() : e;
            throw new IllegalArgumentException(flag + ": " + value + ": " + reason.getMessage()
                    + " (expected: a free local address, or \"\" to disable)", e);
        }
    }

    private ListenerStatus listenerStatus() {
        ListenerSet current = listeners;
        return current == null ? ListenerStatus.EMPTY : current.status();
    }

    /** The table currently served. */
    BackendTable table() {
        return publisher.current();
    }

    /** Where /healthz and /livez answer, or null when disabled. */
    InetSocketAddress healthAddress() {
        return healthAddress;
    }

    /** Where /metrics answers, or null when disabled. */
    InetSocketAddress metricsAddress() {
        return metricsAddress;
    }

    /**
     * Stops accepting, lets established connections finish for up to {@code grace}, then closes
     * everything. Returns at once when already stopped.
     */
    void shutdown(Duration grace) throws InterruptedException {
        if (stopped.getCount() == 0) {
            return;
        }
        if (handoverServer != null) {
            handoverServer.awaitIdle(handover.timeout);
        }
        if (listeners != null) {
            listeners.stopAccepting();
            int active = listeners.activeConnections();
            log.info("stopped accepting; waiting up to {} for {} connection(s) to finish",
                    DurationConverter.format(grace), active);
            long deadline = System.nanoTime() + grace.toNanos();
            // Connections end on their own schedule; a coarse poll is fine during shutdown.
            while (listeners.activeConnections() > 0 && System.nanoTime() < deadline && stopped.getCount() > 0) {
                if (stopped.await(50, TimeUnit.MILLISECONDS)) {
                    return;
                }
            }
            if (listeners.activeConnections() > 0) {
                log.info("grace period over: closing {} connection(s)", listeners.activeConnections());
            }
        }
        close();
    }

    /** Blocks until {@link #close()} ran. */
    void awaitStopped() throws InterruptedException {
        stopped.await();
    }

    @Override
    public void close() {
        synchronized (closers) {
            while (!closers.isEmpty()) {
                AutoCloseable closer = closers.pop();
                try {
                    closer.close();
                } catch (Exception e) {
                    log.warn("closing {} failed", closer, e);
                }
            }
        }
        stopped.countDown();
    }
}
