package dev.sluice.discovery.file;

import dev.sluice.discovery.model.Addresses;
import dev.sluice.discovery.model.IpFamily;
import dev.sluice.discovery.model.Protocol;
import java.net.InetSocketAddress;
import java.util.HashMap;
import java.util.Map;

/**
 * The listen addresses claimed so far in one file, to refuse two services (or one service twice)
 * on an address the operating system would not let both bind. TCP and UDP never collide. A
 * wildcard address collides with every address of its family on the same port, and {@code [::]}
 * also with IPv4 addresses, because a dual-stack socket on {@code [::]} takes the IPv4 port too.
 */
final class ListenClaims {
    private record Exact(Protocol protocol, InetSocketAddress address) {
    }

    private record Port(Protocol protocol, IpFamily family, int port) {
    }

    private final Map<Exact, String> exact = new HashMap<>();
    /** The first claim of any address on a port, per family. */
    private final Map<Port, String> anyOnPort = new HashMap<>();
    /** The claim of the wildcard address on a port, per family. */
    private final Map<Port, String> wildcards = new HashMap<>();

    /**
     * Claims an address for the field at {@code where}.
     *
     * @return the earlier claim it collides with, or {@code null} when it was free
     */
    String claim(Protocol protocol, InetSocketAddress address, String where) {
        IpFamily family = IpFamily.of(address.getAddress());
        int port = address.getPort();
        boolean wildcard = address.getAddress().isAnyLocalAddress();
        String conflict = exact.get(new Exact(protocol, address));
        if (conflict == null && wildcard) {
            conflict = anyOnPort.get(new Port(protocol, family, port));
            if (conflict == null && family == IpFamily.IPv6) {
                conflict = anyOnPort.get(new Port(protocol, IpFamily.IPv4, port));
            }
        }
        if (conflict == null) {
            conflict = wildcards.get(new Port(protocol, family, port));
            if (conflict == null && family == IpFamily.IPv4) {
                conflict = wildcards.get(new Port(protocol, IpFamily.IPv6, port));
            }
        }
        if (conflict != null) {
            return conflict;
        }
        String claim = where + " (" + protocol + " " + Addresses.format(address) + ")";
        exact.put(new Exact(protocol, address), claim);
        anyOnPort.putIfAbsent(new Port(protocol, family, port), claim);
        if (wildcard) {
            wildcards.put(new Port(protocol, family, port), claim);
        }
        return null;
    }
}
