package dev.sluice.proxy.iface;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The ARP settings a node needs once service addresses are local addresses, as kube-proxy's
 * IPVS mode sets them with {@code strictARP}:
 * <ul>
 *   <li>{@code net.ipv4.conf.all.arp_ignore=1}: answer ARP only for addresses configured on the
 *       interface the request arrived on, so the node never claims a ClusterIP or another
 *       node's LoadBalancer IP on its network;</li>
 *   <li>{@code net.ipv4.conf.all.arp_announce=2}: use the best local address of the outgoing
 *       interface as the ARP source, never a service address.</li>
 * </ul>
 * They are sysctls of the network namespace, so they must be set in the host's (a
 * {@code hostNetwork} pod writes them there).
 */
public final class StrictArp {
    private StrictArp() {
    }

    /**
     * Writes both settings under {@code procSys} ({@code /proc/sys} on a real node).
     *
     * @throws UncheckedIOException naming the file that could not be written
     */
    public static void apply(Path procSys) {
        write(procSys.resolve("net/ipv4/conf/all/arp_ignore"), "1");
        write(procSys.resolve("net/ipv4/conf/all/arp_announce"), "2");
    }

    private static void write(Path file, String value) {
        try {
            Files.writeString(file, value + "\n");
        } catch (IOException e) {
            throw new UncheckedIOException("sysctl: " + file + " (expected: writable; Sluice needs root in the host network namespace)", e);
        }
    }
}
