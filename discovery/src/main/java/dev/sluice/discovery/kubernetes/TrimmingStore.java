package dev.sluice.discovery.kubernetes;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.informers.cache.BasicItemStore;
import io.fabric8.kubernetes.client.informers.cache.Cache;
import io.fabric8.kubernetes.client.informers.cache.ItemStore;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

/**
 * An informer's item store that trims every object before keeping it, fabric8's counterpart of
 * a client-go transform function. Keyed by {@code namespace/name} as fabric8's default store.
 * The trim works in place: fabric8 passes the instance it stores to the event handlers, so they
 * see the trimmed object too (see {@link dev.sluice.discovery.translate.LeanObjects}).
 */
final class TrimmingStore<T extends HasMetadata> implements ItemStore<T> {
    private final ItemStore<T> items = new BasicItemStore<>(Cache::metaNamespaceKeyFunc);
    private final UnaryOperator<T> trim;

    TrimmingStore(UnaryOperator<T> trim) {
        this.trim = trim;
    }

    @Override
    public String getKey(T object) {
        return items.getKey(object);
    }

    @Override
    public T put(String key, T object) {
        return items.put(key, trim.apply(object));
    }

    @Override
    public T remove(String key) {
        return items.remove(key);
    }

    @Override
    public Stream<String> keySet() {
        return items.keySet();
    }

    @Override
    public Stream<T> values() {
        return items.values();
    }

    @Override
    public int size() {
        return items.size();
    }

    @Override
    public T get(String key) {
        return items.get(key);
    }
}
