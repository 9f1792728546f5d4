package dev.sluice.discovery.file;

import dev.sluice.discovery.state.SyncObserver;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** A SyncObserver that remembers what it was told, as a metrics registry would count it. */
final class RecordingObserver implements SyncObserver {
    final List<String> rejected = new CopyOnWriteArrayList<>();
    final List<Integer> syncedServiceChanges = new CopyOnWriteArrayList<>();

    @Override
    public void synced(Duration duration, int serviceChanges, int endpointChanges) {
        syncedServiceChanges.add(serviceChanges);
    }

    @Override
    public void rejected(String kind, String reason) {
        rejected.add(kind + "/" + reason);
    }
}
