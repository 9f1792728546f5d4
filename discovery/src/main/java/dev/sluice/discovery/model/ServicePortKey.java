package dev.sluice.discovery.model;

import java.util.Comparator;
import java.util.Objects;

/**
 * Identifies one proxied service port of one IP family: the unit the table is keyed by.
 * Standalone services have an empty namespace and port name.
 */
public record ServicePortKey(String namespace, String name, String port, Protocol protocol, IpFamily family)
        implements Comparable<ServicePortKey> {

    private static final Comparator<ServicePortKey> ORDER = Comparator.comparing(ServicePortKey::namespace)
            .thenComparing(ServicePortKey::name)
            .thenComparing(ServicePortKey::port)
            .thenComparing(ServicePortKey::protocol)
            .thenComparing(ServicePortKey::family);

    public ServicePortKey {
        Objects.requireNonNull(namespace, "namespace");
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(port, "port");
        Objects.requireNonNull(protocol, "protocol");
        Objects.requireNonNull(family, "family");
    }

    /** {@code namespace/name}, or just {@code name} for a standalone service: the log prefix. */
    public String serviceName() {
        return namespace.isEmpty() ? name : namespace + "/" + name;
    }

    @Override
    public int compareTo(ServicePortKey other) {
        return ORDER.compare(this, other);
    }

    @Override
    public String toString() {
        return serviceName() + (port.isEmpty() ? "" : ":" + port) + "/" + protocol + "/" + family;
    }
}
