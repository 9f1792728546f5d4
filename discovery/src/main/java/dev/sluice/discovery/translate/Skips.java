package dev.sluice.discovery.translate;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/** Collects the skips of one translation, each object, part and reason once, in the order found. */
final class Skips {
    static final String SERVICE = "Service";
    static final String ENDPOINT_SLICE = "EndpointSlice";

    private final String namespace;
    private final String name;
    private final Set<Skip> skips = new LinkedHashSet<>();

    Skips(String namespace, String name) {
        this.namespace = namespace;
        this.name = name;
    }

    /** Records a problem with the Service being translated. */
    void service(String reason) {
        skips.add(new Skip(SERVICE, namespace, name, reason));
    }

    /** Records a problem with one of its EndpointSlices. */
    void slice(String sliceNamespace, String sliceName, String reason) {
        skips.add(new Skip(ENDPOINT_SLICE, sliceNamespace, sliceName, reason));
    }

    /**
     * Records that one endpoint of a slice was left out while the rest of the slice is used;
     * {@code index} is its position in the slice's {@code endpoints}.
     */
    void endpoint(String sliceNamespace, String sliceName, int index, String reason) {
        skips.add(new Skip(ENDPOINT_SLICE, sliceNamespace, sliceName, reason, "endpoints[" + index + "]"));
    }

    List<Skip> list() {
        return new ArrayList<>(skips);
    }
}
