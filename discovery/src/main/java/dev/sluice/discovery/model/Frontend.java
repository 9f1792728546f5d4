package dev.sluice.discovery.model;

import java.net.InetAddress;
import java.util.Comparator;
import java.util.Objects;

/**
 * One address and port on which a service port is reached.
 *
 * @param type    how traffic arrives
 * @param address the IP to listen on; {@code null} only for {@link FrontendType#NODE_PORT},
 *                which the proxy expands to this node's NodePort addresses
 * @param port    1..65535
 */
public record Frontend(FrontendType type, InetAddress address, int port) implements Comparable<Frontend> {

    private static final Comparator<Frontend> ORDER = Comparator.comparing(Frontend::type)
            .thenComparing(f -> f.address == null ? "" : Addresses.format(f.address))
            .thenComparingInt(Frontend::port);

    public Frontend {
        Objects.requireNonNull(type, "type");
        if (address == null && type != FrontendType.NODE_PORT) {
            throw new IllegalArgumentException("address: null (expected: an IP for a " + type.wireName() + " frontend)");
        }
        Ports.check("port", port);
    }

    @Override
    public int compareTo(Frontend other) {
        return ORDER.compare(this, other);
    }

    @Override
    public String toString() {
        return type.wireName() + " " + (address == null ? "*:" + port : Addresses.format(address, port));
    }
}
