package dev.sluice.discovery.state;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectMeta;

/** A namespaced object's identity: {@code namespace/name}. */
record ObjectRef(String namespace, String name) {

    /** The identity of an object; missing parts read as {@code ""}. */
    static ObjectRef of(HasMetadata object) {
        ObjectMeta meta = object.getMetadata();
        if (meta == null) {
            return new ObjectRef("", "");
        }
        return new ObjectRef(text(meta.getNamespace()), text(meta.getName()));
    }

    private static String text(String value) {
        return value == null ? "" : value;
    }

    @Override
    public String toString() {
        return namespace + "/" + name;
    }
}
