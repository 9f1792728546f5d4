package dev.sluice.proxy.iface;

import dev.sluice.discovery.model.Addresses;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * Where the addresses live and how Sluice's own are told apart from anyone else's.
 *
 * <p>On a dummy interface Sluice owns the device, so every global address on it is Sluice's.
 * On {@code lo} other software keeps addresses too, so each address Sluice adds carries a
 * marker that survives a crash and a container restart because it is kernel state:
 * <ul>
 *   <li>IPv4: the label {@code lo:<suffix>}, the suffix taken from the interface name;</li>
 *   <li>IPv6 has no labels, so the address metric (the priority of the prefix route the
 *       kernel installs with the address) is set to a value derived from the name. It changes
 *       nothing for a /128 on {@code lo}: the route that delivers the address locally is the
 *       one in the local table, which always has metric 0. iproute2 prints the metric, so the
 *       next run can read it back. A state file was rejected: it is lost with the container,
 *       while the addresses stay on the host.</li>
 * </ul>
 *
 * @param device   the interface the addresses are put on
 * @param loopback whether that is {@code lo} standing in for a missing dummy driver
 * @param label    the IPv4 label on {@code lo}
 * @param metric   the IPv6 marker metric on {@code lo}
 */
record HostDevice(String device, boolean loopback, String label, long metric) {
    /** Linux interface names and labels are at most 15 bytes. */
    static final int MAX_NAME = 15;
    private static final String LOOPBACK = "lo";
    private static final long METRIC_BASE = 0x51CE0000L;

    /** The dummy interface itself. */
    static HostDevice dummy(String name) {
        return new HostDevice(name, false, name, 0);
    }

    /** {@code lo}, with markers derived from the dummy interface's name. */
    static HostDevice loopbackFor(String name) {
        String suffix = name.length() > MAX_NAME - 3 ? name.substring(0, MAX_NAME - 3) : name;
        return new HostDevice(LOOPBACK, true, LOOPBACK + ":" + suffix, METRIC_BASE + (name.hashCode() & 0xFFFF));
    }

    /** The {@code ip -batch} line that adds a host address. */
    String addLine(InetAddress address) {
        List<String> words = new ArrayList<>(List.of("addr", "add", hostPrefix(address), "dev", device));
        if (address instanceof Inet6Address) {
            // No duplicate address detection: the address is local-only, and DAD would leave it
            // tentative (unbindable) for a second.
            words.add("nodad");
            if (loopback) {
                words.add("metric");
                words.add(Long.toString(metric));
            }
        } else if (loopback) {
            words.add("label");
            words.add(label);
        }
        return String.join(" ", words);
    }

    /** The {@code ip -batch} line that removes a host address. */
    String deleteLine(InetAddress address) {
        return String.join(" ", "addr", "del", hostPrefix(address), "dev", device);
    }

    /** Whether a listed address was put there by Sluice. */
    boolean isOurs(ListedAddress listed) {
        if (listed.address().isLoopbackAddress() || listed.address().isLinkLocalAddress()) {
            return false;
        }
        if (!loopback) {
            return true;
        }
        if (listed.address() instanceof Inet6Address) {
            return listed.metric() == metric;
        }
        return listed.label().equals(label);
    }

    private static String hostPrefix(InetAddress address) {
        return Addresses.format(address) + "/" + address.getAddress().length * 8;
    }
}
