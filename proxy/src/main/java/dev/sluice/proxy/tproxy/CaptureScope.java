package dev.sluice.proxy.tproxy;

import dev.sluice.discovery.model.Frontend;
import dev.sluice.discovery.model.IpFamily;
import dev.sluice.discovery.model.ServiceEntry;
import dev.sluice.discovery.model.ServicePortKey;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Which frontends {@code --capture tproxy} diverts, and at which addresses: the one rule the
 * nftables set and the listener set's lookup map both follow, so they always agree.
 *
 * <p>IPv4 TCP and UDP service ports are captured. IPv6 ones keep their bound listeners: IPv6
 * transparency ({@code IPV6_TRANSPARENT}) is not verified on the machines Sluice is tested on.
 * So does a standalone service that listens on a wildcard address ({@code *:port}), which no
 * packet carries as its destination.
 */
public final class CaptureScope {
    private CaptureScope() {
    }

    /** Whether the frontends of a service port of this key's family may be diverted in {@code tproxy} capture. */
    public static boolean captured(ServicePortKey key) {
        return key.family() == IpFamily.IPv4;
    }

    /** Whether this entry's frontends are diverted in {@code tproxy} capture. */
    public static boolean captured(ServiceEntry entry) {
        if (!captured(entry.key())) {
            return false;
        }
        for (Frontend frontend : entry.frontends()) {
            if (frontend.address() != null && frontend.address().isAnyLocalAddress()) {
                return false;
            }
        }
        return true;
    }

    /**
     * Every destination of an entry's frontends: its own address for ClusterIP, LoadBalancer,
     * external IP and standalone frontends, each node address for a NodePort. The first
     * frontend of an address wins, as for bound listeners.
     *
     * @param nodeAddresses the NodePort addresses of a family (called at most once per call)
     */
    public static Map<InetSocketAddress, Frontend> destinations(ServiceEntry entry,
            Function<IpFamily, List<InetAddress>> nodeAddresses) {
        Map<InetSocketAddress, Frontend> result = new LinkedHashMap<>();
        List<InetAddress> node = null;
        for (Frontend frontend : entry.frontends()) {
            if (frontend.address() != null) {
                result.putIfAbsent(new InetSocketAddress(frontend.address(), frontend.port()), frontend);
                continue;
            }
            if (node == null) {
                node = nodeAddresses.apply(entry.key().family());
            }
            for (InetAddress address : node) {
                result.putIfAbsent(new InetSocketAddress(address, frontend.port()), frontend);
            }
        }
        return result;
    }
}
