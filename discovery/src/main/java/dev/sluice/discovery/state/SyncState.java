package dev.sluice.discovery.state;

import dev.sluice.discovery.model.Balance;
import dev.sluice.discovery.model.BackendTable;
import dev.sluice.discovery.model.ServiceEntry;
import dev.sluice.discovery.model.ServicePortKey;
import dev.sluice.discovery.model.TableChange;
import dev.sluice.discovery.translate.NodeContext;
import dev.sluice.discovery.translate.ServiceTranslator;
import dev.sluice.discovery.translate.Skip;
import dev.sluice.discovery.translate.Translation;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the cluster said so far, and the sync step that turns pending changes into the next
 * table. Confined to the sync thread: nothing here is shared, so nothing is locked.
 *
 * <p>One step re-translates only the Services that changed or whose slices changed, so the
 * cost of one endpoint change depends on that Service alone, not on how many there are. Only
 * a change of this node's zone re-translates everything, because topology hints depend on it.
 */
final class SyncState {
    static final String SERVICE_NAME_LABEL = "kubernetes.io/service-name";
    static final String TRIGGER_TIME_ANNOTATION = "endpoints.kubernetes.io/last-change-trigger-time";

    private static final Logger log = LoggerFactory.getLogger(SyncState.class);

    private final PendingChanges pending;
    private final TablePublisher publisher;
    private final SyncTracker tracker;
    private final SyncObserver observer;
    private final String nodeName;
    private final Balance defaultBalance;
    /** Trigger times before this are from before we ran; kube-proxy does not report them either. */
    private final Instant startedAt;

    private final Map<ObjectRef, Service> services = new HashMap<>();
    /** Slices by owning Service ({@code namespace/service-name}), then by slice name. */
    private final Map<ObjectRef, Map<String, EndpointSlice>> slicesByService = new HashMap<>();
    /** Owning Service by slice ({@code namespace/slice-name}): a delete needs no labels. */
    private final Map<ObjectRef, ObjectRef> sliceOwners = new HashMap<>();
    /** The keys each Service has in the published table. */
    private final Map<ObjectRef, Set<ServicePortKey>> produced = new HashMap<>();
    /** Services of a table refused for its size, rebuilt again at the next sync. */
    private final Set<ObjectRef> refused = new HashSet<>();
    private NodeContext node;
    private boolean published;
    private int noLocalInternal;
    private int noLocalExternal;

    SyncState(PendingChanges pending, TablePublisher publisher, SyncTracker tracker, SyncObserver observer,
            String nodeName, Balance defaultBalance) {
        this.pending = pending;
        this.publisher = publisher;
        this.tracker = tracker;
        this.observer = observer;
        this.nodeName = nodeName;
        this.defaultBalance = defaultBalance;
        this.node = new NodeContext(nodeName, null, defaultBalance);
        this.startedAt = tracker.now();
    }

    /**
     * Applies everything pending and publishes the next table when an entry really changed (the
     * first step always publishes).
     */
    void sync() {
        long began = System.nanoTime();
        Set<ObjectRef> dirty = new HashSet<>();
        List<Instant> triggers = new ArrayList<>();
        int serviceChanges = pending.drainServices((ref, service) -> applyService(ref, service, dirty));
        int endpointChanges = pending.drainSlices((ref, slice) -> applySlice(ref, slice, dirty, triggers));
        pending.drainZone(zone -> {
            if (!Objects.equals(zone.value(), node.zone())) {
                log.info("node {} zone: {} -> {}, re-translating every Service", nodeName, node.zone(), zone.value());
                node = new NodeContext(nodeName, zone.value(), defaultBalance);
                dirty.addAll(services.keySet());
            }
        });

        dirty.addAll(refused);
        refused.clear();
        BackendTable previous = publisher.current();
        Map<ServicePortKey, ServiceEntry> upserts = new HashMap<>();
        Set<ServicePortKey> removals = new HashSet<>();
        Map<ObjectRef, Set<ServicePortKey>> producedBefore = new HashMap<>();
        int noLocalInternalBefore = noLocalInternal;
        int noLocalExternalBefore = noLocalExternal;
        for (ObjectRef ref : dirty) {
            producedBefore.put(ref, produced.get(ref));
            rebuild(ref, previous, upserts, removals);
        }
        if (!published || !upserts.isEmpty() || !removals.isEmpty()) {
            Set<ServicePortKey> changed = new HashSet<>(upserts.keySet());
            changed.addAll(removals);
            try {
                publisher.publish(new TableChange(previous, previous.apply(upserts, removals), changed));
            } catch (TableTooLargeException e) {
                // As if this sync never ran: its Services are rebuilt with the next one.
                producedBefore.forEach((ref, keys) -> {
                    if (keys == null) {
                        produced.remove(ref);
                    } else {
                        produced.put(ref, keys);
                    }
                });
                noLocalInternal = noLocalInternalBefore;
                noLocalExternal = noLocalExternalBefore;
                refused.addAll(dirty);
                if (!published) {
                    throw e;
                }
                log.error(e.getMessage());
                return;
            }
            published = true;
        }
        tracker.updated();
        Instant now = tracker.now();
        for (Instant trigger : triggers) {
            observer.networkProgrammed(Duration.between(trigger, now));
        }
        observer.synced(Duration.ofNanos(System.nanoTime() - began), serviceChanges, endpointChanges);
        observer.noLocalEndpoints(noLocalInternal, noLocalExternal);
    }

    /** Records a Service's latest state; returns whether it differs from what was known. */
    private boolean applyService(ObjectRef ref, Service service, Set<ObjectRef> dirty) {
        Service known = services.get(ref);
        if (service == null) {
            if (known == null) {
                return false;
            }
            services.remove(ref);
        } else {
            // A re-list or a re-sent ADDED delivers objects we already hold: not a change.
            if (sameVersion(known, service)) {
                return false;
            }
            services.put(ref, service);
        }
        dirty.add(ref);
        return true;
    }

    /**
     * Records a slice's latest state, moving it between Services when its service-name label
     * changed; returns whether it differs from what was known.
     */
    private boolean applySlice(ObjectRef ref, EndpointSlice slice, Set<ObjectRef> dirty, List<Instant> triggers) {
        ObjectRef oldOwner = sliceOwners.get(ref);
        ObjectRef owner = slice == null ? null : owner(ref, slice);
        if (slice != null && owner != null && owner.equals(oldOwner)
                && sameVersion(slicesByService.get(owner).get(ref.name()), slice)) {
            return false;
        }
        if (oldOwner != null && !oldOwner.equals(owner)) {
            Map<String, EndpointSlice> slices = slicesByService.get(oldOwner);
            slices.remove(ref.name());
            if (slices.isEmpty()) {
                slicesByService.remove(oldOwner);
            }
            sliceOwners.remove(ref);
            dirty.add(oldOwner);
        }
        if (owner == null) {
            return oldOwner != null;
        }
        slicesByService.computeIfAbsent(owner, k -> new HashMap<>()).put(ref.name(), slice);
        sliceOwners.put(ref, owner);
        dirty.add(owner);
        Instant trigger = triggerTime(ref, slice);
        if (trigger != null && trigger.isAfter(startedAt)) {
            triggers.add(trigger);
        }
        return true;
    }

    /** The Service a slice belongs to, or {@code null} (reported) when it names none. */
    private ObjectRef owner(ObjectRef ref, EndpointSlice slice) {
        Map<String, String> labels = slice.getMetadata() == null ? null : slice.getMetadata().getLabels();
        String service = labels == null ? null : labels.get(SERVICE_NAME_LABEL);
        if (service == null || service.isEmpty()) {
            log.debug("[{}] EndpointSlice has no {} label, ignored", ref, SERVICE_NAME_LABEL);
            observer.rejected("EndpointSlice", "no-service-name-label");
            return null;
        }
        return new ObjectRef(ref.namespace(), service);
    }

    /** Translates one Service again and records how its entries differ from the table's. */
    private void rebuild(ObjectRef ref, BackendTable previous, Map<ServicePortKey, ServiceEntry> upserts,
            Set<ServicePortKey> removals) {
        Service service = services.get(ref);
        List<ServiceEntry> entries = List.of();
        if (service != null) {
            Map<String, EndpointSlice> slices = slicesByService.getOrDefault(ref, Map.of());
            Translation translation = ServiceTranslator.translate(service, List.copyOf(slices.values()), node);
            entries = translation.entries();
            for (Skip skip : translation.skipped()) {
                log.debug("[{}/{}] {} {}/{}{} partly skipped: {}", ref.namespace(), ref.name(), skip.kind(),
                        skip.namespace(), skip.name(), skip.part().isEmpty() ? "" : " " + skip.part(), skip.reason());
                observer.rejected(skip.kind(), skip.reason());
            }
        }
        Set<ServicePortKey> before = produced.getOrDefault(ref, Set.of());
        Set<ServicePortKey> after = new HashSet<>();
        for (ServiceEntry entry : entries) {
            after.add(entry.key());
            ServiceEntry old = previous.get(entry.key());
            // An equal entry keeps its old instance, so listeners can skip it by identity.
            if (!entry.equals(old)) {
                upserts.put(entry.key(), entry);
                countNoLocal(old, -1);
                countNoLocal(entry, 1);
            }
        }
        for (ServicePortKey key : before) {
            if (!after.contains(key)) {
                removals.add(key);
                countNoLocal(previous.get(key), -1);
            }
        }
        if (after.isEmpty()) {
            produced.remove(ref);
        } else {
            produced.put(ref, after);
        }
    }

    /** Keeps the no-local-endpoints gauges current as entries come and go. */
    private void countNoLocal(ServiceEntry entry, int delta) {
        if (entry == null || entry.totalEndpoints() == 0) {
            return;
        }
        if (entry.policy().internalLocal() && entry.internalEndpoints().isEmpty()) {
            noLocalInternal += delta;
        }
        if (entry.policy().externalLocal() && entry.externalEndpoints() != null
                && entry.externalEndpoints().isEmpty()) {
            noLocalExternal += delta;
        }
    }

    private static boolean sameVersion(HasMetadata known, HasMetadata latest) {
        if (known == null) {
            return false;
        }
        String version = latest.getMetadata() == null ? null : latest.getMetadata().getResourceVersion();
        return version != null && known.getMetadata() != null
                && version.equals(known.getMetadata().getResourceVersion());
    }

    /** The slice's last-change-trigger-time, or {@code null} when absent or unreadable. */
    private static Instant triggerTime(ObjectRef ref, EndpointSlice slice) {
        Map<String, String> annotations = slice.getMetadata() == null ? null : slice.getMetadata().getAnnotations();
        String text = annotations == null ? null : annotations.get(TRIGGER_TIME_ANNOTATION);
        if (text == null) {
            return null;
        }
        try {
            return OffsetDateTime.parse(text).toInstant();
        } catch (DateTimeParseException e) {
            log.debug("[{}] {}: {} (expected: an RFC 3339 time)", ref, TRIGGER_TIME_ANNOTATION, text);
            return null;
        }
    }
}
