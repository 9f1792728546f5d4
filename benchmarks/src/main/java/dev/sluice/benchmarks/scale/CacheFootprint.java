package dev.sluice.benchmarks.scale;

import dev.sluice.discovery.translate.LeanObjects;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntFunction;
import java.util.function.UnaryOperator;

/**
 * Bytes an informer cache holds per Service and per EndpointSlice, as read from the API server
 * and after {@link LeanObjects} trimmed them: deserializes {@code N} objects of
 * {@link ScaleObjects} with fabric8's own serialization, keeps them, and reads the live heap
 * after full collections before and after trimming. Run with a serial collector, e.g.
 * {@code java -XX:+UseSerialGC -cp benchmarks/target/benchmarks.jar dev.sluice.benchmarks.scale.CacheFootprint 20000 10}.
 */
public final class CacheFootprint {
    private CacheFootprint() {
    }

    public static void main(String[] args) {
        int count = Integer.parseInt(args[0]);
        int endpoints = Integer.parseInt(args[1]);
        KubernetesSerialization json = new KubernetesSerialization();
        measure("Service", count, i -> ScaleObjects.service(i, 1), text -> json.unmarshal(text, Service.class),
                LeanObjects::service);
        measure("EndpointSlice (" + endpoints + " endpoints)", count, i -> ScaleObjects.slice(i, endpoints, null, 1),
                text -> json.unmarshal(text, EndpointSlice.class), LeanObjects::slice);
    }

    private static <T> void measure(String kind, int count, IntFunction<String> text,
            java.util.function.Function<String, T> parse, UnaryOperator<T> trim) {
        long jsonBytes = 0;
        long before = liveHeap();
        List<T> cache = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            String object = text.apply(i);
            jsonBytes += object.length();
            cache.add(parse.apply(object));
        }
        long full = liveHeap();
        cache.replaceAll(trim);
        long lean = liveHeap();
        System.out.printf("%s: JSON %d B, cached as read %d B, trimmed %d B per object (%d objects)%n", kind,
                jsonBytes / count, (full - before) / count, (lean - before) / count, cache.size());
    }

    private static long liveHeap() {
        Runtime runtime = Runtime.getRuntime();
        for (int i = 0; i < 4; i++) {
            System.gc();
        }
        return runtime.totalMemory() - runtime.freeMemory();
    }
}
