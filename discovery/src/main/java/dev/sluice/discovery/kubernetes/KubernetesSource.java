package dev.sluice.discovery.kubernetes;

import dev.sluice.discovery.model.Balance;
import dev.sluice.discovery.state.ClusterSync;
import dev.sluice.discovery.state.SyncObserver;
import dev.sluice.discovery.state.SyncTracker;
import dev.sluice.discovery.state.TablePublisher;
import dev.sluice.discovery.state.TableSource;
import dev.sluice.discovery.translate.ProxyLabels;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches the cluster through fabric8 informers and keeps a {@link TablePublisher} current:
 * v1 Services and discovery.k8s.io/v1 EndpointSlices in all namespaces, filtered at the API
 * server with {@value #PROXY_SELECTOR}, and this node's own Node for its zone label and
 * eligibility.
 *
 * <p>{@link #start()} returns once the first complete table is published: after Services,
 * EndpointSlices and the Node were listed, all within the start-up timeout. An API server that
 * cannot be reached, refuses the credentials or forbids a list fails start-up with a message
 * naming the resource and the reason, e.g. {@code endpointslices.discovery.k8s.io: 403
 * Forbidden (expected: get/list/watch permission, see deploy/rbac.yaml)}.
 *
 * <p>After start-up nothing stops it: when the API server goes away the last table stays
 * published, the informers re-list and re-watch with back-off for as long as it takes, and
 * whatever changed meanwhile is applied when they are back. {@link #watching()} tells whether
 * every watch is currently open. RBAC needed: get/list/watch on services,
 * endpointslices.discovery.k8s.io and nodes (see deploy/rbac.yaml).
 */
public final class KubernetesSource implements TableSource {
    /** Services and slices another proxy owns, or headless ones, never reach us. */
    static final String PROXY_SELECTOR = ProxyLabels.SELECTOR;
    static final String ZONE_LABEL = "topology.kubernetes.io/zone";
    static final String SERVICES = "services";
    static final String ENDPOINT_SLICES = "endpointslices.discovery.k8s.io";
    static final String NODES = "nodes";

    private static final Logger log = LoggerFactory.getLogger(KubernetesSource.class);

    private final KubernetesClient client;
    private final String nodeName;
    private final SyncTracker tracker;
    private final Duration startTimeout;
    private final ClusterSync sync;
    /** Written by start, read by close and watching. */
    private volatile List<SharedIndexInformer<?>> informers = List.of();
    private volatile boolean closed;

    /**
     * @param client         a client for the cluster; not closed by this source
     * @param nodeName       this node's name, as its Node object and endpoints' {@code nodeName} say
     * @param defaultBalance the balancing for Services without a {@code sluice.dev/balance} annotation
     * @param startTimeout   how long {@link #start()} may wait for the initial lists
     */
    public KubernetesSource(KubernetesClient client, String nodeName, Balance defaultBalance,
            TablePublisher publisher, SyncTracker tracker, SyncObserver observer, Duration startTimeout) {
        this.client = Objects.requireNonNull(client, "client");
        this.nodeName = Objects.requireNonNull(nodeName, "nodeName");
        this.tracker = Objects.requireNonNull(tracker, "tracker");
        this.startTimeout = Objects.requireNonNull(startTimeout, "startTimeout");
        if (nodeName.isEmpty()) {
            throw new IllegalArgumentException("nodeName: \"\" (expected: this node's name)");
        }
        if (startTimeout.isNegative() || startTimeout.isZero()) {
            throw new IllegalArgumentException("startTimeout: " + startTimeout + " (expected: a positive duration)");
        }
        this.sync = new ClusterSync(nodeName, defaultBalance, publisher, tracker, observer);
    }

    /**
     * Lists and starts watching, then publishes the first complete table.
     *
     * @throws IllegalStateException naming the resource and the reason when a list failed or
     *                               did not finish within the start-up timeout
     */
    @Override
    public void start() throws InterruptedException {
        long deadline = System.nanoTime() + startTimeout.toNanos();
        SharedIndexInformer<Service> services = client.services().inAnyNamespace()
                .withLabelSelector(PROXY_SELECTOR).runnableInformer(0);
        SharedIndexInformer<EndpointSlice> slices = client.discovery().v1().endpointSlices().inAnyNamespace()
                .withLabelSelector(PROXY_SELECTOR).runnableInformer(0);
        SharedIndexInformer<Node> node = client.nodes().withField("metadata.name", nodeName).runnableInformer(0);
        services.addEventHandler(handler(sync::serviceUpdated, sync::serviceDeleted));
        slices.addEventHandler(handler(sync::sliceUpdated, sync::sliceDeleted));
        node.addEventHandler(handler(this::nodeSeen, this::nodeDeleted));
        Map<String, SharedIndexInformer<?>> byResource = new LinkedHashMap<>();
        byResource.put(SERVICES, services);
        byResource.put(ENDPOINT_SLICES, slices);
        byResource.put(NODES, node);
        informers = List.copyOf(byResource.values());
        try {
            awaitListed(byResource, deadline);
            // Handlers are told asynchronously; the stores already hold every listed object.
            services.getStore().list().forEach(sync::serviceUpdated);
            slices.getStore().list().forEach(sync::sliceUpdated);
            List<Node> nodes = node.getStore().list();
            if (nodes.isEmpty()) {
                log.warn("node {} not found: this node is reported as not eligible for traffic", nodeName);
                tracker.nodeEligible(false);
            } else {
                nodeSeen(nodes.get(0));
            }
            sync.start(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
        } catch (TimeoutException e) {
            close();
            throw new IllegalStateException("first table: not built within " + startTimeout.toMillis() + " ms", e);
        } catch (RuntimeException | InterruptedException e) {
            close();
            throw e;
        }
        log.info("watching services and endpointslices for node {} at {}", nodeName, apiServer());
    }

    /** Whether every informer's watch is open right now (false while reconnecting or before start). */
    public boolean watching() {
        List<SharedIndexInformer<?>> current = informers;
        if (closed || current.isEmpty()) {
            return false;
        }
        for (SharedIndexInformer<?> informer : current) {
            if (!informer.isWatching()) {
                return false;
            }
        }
        return true;
    }

    /** Stops the informers and the sync thread; the last table stays published. */
    @Override
    public void close() {
        closed = true;
        for (SharedIndexInformer<?> informer : informers) {
            informer.stop();
        }
        sync.close();
    }

    /** Starts every informer and waits until all listed, failing at the first that cannot. */
    private void awaitListed(Map<String, SharedIndexInformer<?>> byResource, long deadline)
            throws InterruptedException {
        CompletableFuture<Void> outcome = new CompletableFuture<>();
        List<CompletableFuture<Void>> starts = new ArrayList<>();
        for (Map.Entry<String, SharedIndexInformer<?>> entry : byResource.entrySet()) {
            String resource = entry.getKey();
            SharedIndexInformer<?> informer = entry.getValue();
            // Before the first list a failure ends start-up; afterwards every failure is retried.
            informer.exceptionHandler((isStarted, t) -> isStarted);
            informer.stopped().whenComplete((ignored, t) -> {
                if (t != null && !closed) {
                    log.error("{}: informer stopped, changes are no longer seen", resource, t);
                }
            });
            CompletableFuture<Void> start = informer.start().toCompletableFuture();
            start.whenComplete((ignored, t) -> {
                if (t != null) {
                    outcome.completeExceptionally(
                            new IllegalStateException(StartupErrors.describe(resource, t, apiServer()), t));
                }
            });
            starts.add(start);
        }
        CompletableFuture.allOf(starts.toArray(CompletableFuture[]::new)).thenRun(() -> outcome.complete(null));
        try {
            outcome.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (ExecutionException e) {
            throw (IllegalStateException) e.getCause();
        } catch (TimeoutException e) {
            List<String> missing = new ArrayList<>();
            for (Map.Entry<String, SharedIndexInformer<?>> entry : byResource.entrySet()) {
                if (!entry.getValue().hasSynced()) {
                    missing.add(StartupErrors.timedOut(entry.getKey(), startTimeout, apiServer()));
                }
            }
            throw new IllegalStateException(String.join("; ", missing), e);
        }
    }

    private void nodeSeen(Node node) {
        boolean deleting = node.getMetadata().getDeletionTimestamp() != null;
        tracker.nodeEligible(!deleting);
        Map<String, String> labels = node.getMetadata().getLabels();
        sync.zoneChanged(labels == null ? null : labels.get(ZONE_LABEL));
    }

    private void nodeDeleted(Node node) {
        log.warn("node {} was deleted: this node is reported as not eligible for traffic", nodeName);
        tracker.nodeEligible(false);
    }

    private String apiServer() {
        return client.getConfiguration().getMasterUrl();
    }

    /**
     * Adds and updates (also a re-sent ADDED) are upserts; a delete, even one whose final state
     * is unknown, removes by namespace and name.
     */
    private static <T> ResourceEventHandler<T> handler(Consumer<T> upsert, Consumer<T> delete) {
        return new ResourceEventHandler<>() {
            @Override
            public void onAdd(T object) {
                upsert.accept(object);
            }

            @Override
            public void onUpdate(T previous, T object) {
                upsert.accept(object);
            }

            @Override
            public void onDelete(T object, boolean finalStateUnknown) {
                delete.accept(object);
            }
        };
    }
}
