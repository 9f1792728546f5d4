package dev.sluice.discovery.model;

import java.net.InetSocketAddress;
import java.util.Comparator;
import java.util.Objects;

/**
 * One endpoint that receives proxied connections. The socket address is resolved once, when the
 * table is built, so the hot path never creates one.
 */
public record Backend(InetSocketAddress address) implements Comparable<Backend> {

    private static final Comparator<Backend> ORDER = Comparator
            .comparing((Backend b) -> b.address.getAddress().getAddress().length)
            .thenComparing(b -> b.address.getAddress().getAddress(), java.util.Arrays::compareUnsigned)
            .thenComparingInt(b -> b.address.getPort());

    public Backend {
        Objects.requireNonNull(address, "address");
        if (address.isUnresolved()) {
            throw new IllegalArgumentException("backend: " + Addresses.format(address) + " (expected: an IP literal)");
        }
    }

    /** Parses {@code ip:port} or {@code [ipv6]:port}. */
    public static Backend parse(String text) {
        return new Backend(Addresses.parseSocketAddress(text));
    }

    /** A backend at an IP literal and port. */
    public static Backend of(String ip, int port) {
        Ports.check("port", port);
        return new Backend(new InetSocketAddress(Addresses.parseIp(ip), port));
    }

    @Override
    public int compareTo(Backend other) {
        return ORDER.compare(this, other);
    }

    @Override
    public String toString() {
        return Addresses.format(address);
    }
}
