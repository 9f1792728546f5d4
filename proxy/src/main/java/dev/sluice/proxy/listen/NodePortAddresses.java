package dev.sluice.proxy.listen;

import dev.sluice.discovery.model.Cidr;
import dev.sluice.discovery.model.IpFamily;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The node addresses NodePort frontends listen on, as kube-proxy's {@code --nodeport-addresses}
 * selects them: every local address (the empty flag), the node's primary address of each
 * family ({@code primary}), or the local addresses inside a list of CIDRs. Addresses are read
 * from the network interfaces each time {@link #resolve} is called.
 */
public final class NodePortAddresses {
    /** Every local address. */
    public static final NodePortAddresses ALL = new NodePortAddresses(List.of(), false);

    private static final String EXPECTED = " (expected: CIDR,... or primary)";

    private final List<Cidr> cidrs;
    private final boolean primary;

    private NodePortAddresses(List<Cidr> cidrs, boolean primary) {
        this.cidrs = List.copyOf(cidrs);
        this.primary = primary;
    }

    /**
     * Parses the flag: {@code ""} for all local addresses, {@code primary}, or CIDRs separated by
     * commas such as {@code 198.18.0.0/15,::1/128}.
     *
     * @throws IllegalArgumentException {@code nodeport-addresses: X (expected: CIDR,... or primary)}
     */
    public static NodePortAddresses parse(String flag) {
        String text = flag == null ? "" : flag.trim();
        if (text.isEmpty()) {
            return ALL;
        }
        if (text.equals("primary")) {
            return new NodePortAddresses(List.of(), true);
        }
        List<Cidr> cidrs = new ArrayList<>();
        for (String part : text.split(",", -1)) {
            String cidr = part.trim();
            if (cidr.indexOf('/') < 0) {
                throw new IllegalArgumentException("nodeport-addresses: " + flag + EXPECTED);
            }
            try {
                cidrs.add(Cidr.parse(cidr));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("nodeport-addresses: " + flag + EXPECTED, e);
            }
        }
        return new NodePortAddresses(cidrs, false);
    }

    /**
     * The local addresses of a family NodePorts listen on, in interface order. Empty when the
     * node has none that match.
     */
    public List<InetAddress> resolve(IpFamily family) {
        List<NetworkInterface> interfaces = upInterfaces();
        if (primary) {
            return primaryAddress(interfaces, family);
        }
        Set<InetAddress> result = new LinkedHashSet<>();
        for (NetworkInterface nic : interfaces) {
            for (InetAddress address : Collections.list(nic.getInetAddresses())) {
                if (IpFamily.of(address) == family && selected(address)) {
                    result.add(address);
                }
            }
        }
        return List.copyOf(result);
    }

    private boolean selected(InetAddress address) {
        if (cidrs.isEmpty()) {
            return true;
        }
        for (Cidr cidr : cidrs) {
            if (cidr.contains(address)) {
                return true;
            }
        }
        return false;
    }

    /**
     * The first global address of the family on the interface of the default route, falling
     * back to the first non-loopback interface that has one.
     */
    private static List<InetAddress> primaryAddress(List<NetworkInterface> interfaces, IpFamily family) {
        String routeInterface = defaultRouteInterface(family);
        List<NetworkInterface> ordered = new ArrayList<>();
        for (NetworkInterface nic : interfaces) {
            if (nic.getName().equals(routeInterface)) {
                ordered.add(0, nic);
            } else if (!isLoopback(nic)) {
                ordered.add(nic);
            }
        }
        for (NetworkInterface nic : ordered) {
            for (InetAddress address : Collections.list(nic.getInetAddresses())) {
                if (IpFamily.of(address) == family && !address.isLinkLocalAddress() && !address.isLoopbackAddress()) {
                    return List.of(address);
                }
            }
        }
        return List.of();
    }

    /** The interface named by the kernel's default route of a family, or "" when there is none or it is unreadable. */
    private static String defaultRouteInterface(IpFamily family) {
        try {
            if (family == IpFamily.IPv4) {
                Path routes = Path.of("/proc/net/route");
                if (Files.isReadable(routes)) {
                    for (String line : Files.readAllLines(routes)) {
                        String[] f = line.trim().split("\\s+");
                        if (f.length > 2 && f[1].equals("00000000") && !f[0].equals("Iface")) {
                            return f[0];
                        }
                    }
                }
            } else {
                Path routes = Path.of("/proc/net/ipv6_route");
                if (Files.isReadable(routes)) {
                    for (String line : Files.readAllLines(routes)) {
                        String[] f = line.trim().split("\\s+");
                        if (f.length == 10 && f[0].equals("00000000000000000000000000000000") && f[1].equals("00")
                                && !f[9].equals("lo")) {
                            return f[9];
                        }
                    }
                }
            }
        } catch (IOException e) {
            return "";
        }
        return "";
    }

    private static boolean isLoopback(NetworkInterface nic) {
        try {
            return nic.isLoopback();
        } catch (SocketException e) {
            return false;
        }
    }

    private static List<NetworkInterface> upInterfaces() {
        try {
            List<NetworkInterface> up = new ArrayList<>();
            for (NetworkInterface nic : Collections.list(NetworkInterface.getNetworkInterfaces())) {
                if (nic.isUp()) {
                    up.add(nic);
                }
            }
            return up;
        } catch (SocketException e) {
            throw new UncheckedIOException("network interfaces: cannot be listed", e);
        }
    }

    @Override
    public String toString() {
        if (primary) {
            return "primary";
        }
        if (cidrs.isEmpty()) {
            return "";
        }
        StringBuilder flag = new StringBuilder();
        for (Cidr cidr : cidrs) {
            flag.append(flag.length() == 0 ? "" : ",").append(cidr);
        }
        return flag.toString();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof NodePortAddresses other && other.primary == primary && other.cidrs.equals(cidrs);
    }

    @Override
    public int hashCode() {
        return cidrs.hashCode() * 31 + Boolean.hashCode(primary);
    }
}
