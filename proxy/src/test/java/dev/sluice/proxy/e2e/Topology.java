package dev.sluice.proxy.e2e;

import dev.sluice.proxy.iface.IpCommand;
import dev.sluice.proxy.iface.NetworkNamespace;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Three network namespaces wired like a node with one pod and a remote set of endpoints, plus a
 * link from the test's own (root) namespace to the node for the API server:
 *
 * <pre>
 *   pod   eth0 198.18.1.2, 198.18.1.3 ---- 198.18.1.1 vpod  node  vbe 198.18.2.1 ---- eth0 198.18.2.11-13  backends
 *                                          198.19.R.2 vapi
 *                                               |
 *   root (the test, the mock API server)   198.19.R.1 sl-api-XXXXXX
 * </pre>
 *
 * The pod routes 198.18.0.0/15 (ClusterIPs, LoadBalancer IPs) via the node; the backends only
 * need their own subnet because Sluice, not the pod, opens the connections to them. Every
 * address is from 198.18.0.0/15. R is random so that two runs never put the same address in the
 * root namespace. {@link #close()} deletes exactly what was created, by name.
 */
final class Topology implements AutoCloseable {
    static final String POD_IP = "198.18.1.2";
    static final String POD_IP_2 = "198.18.1.3";
    static final String NODE_IP = "198.18.1.1";
    static final String NODE_BACKEND_IP = "198.18.2.1";
    static final List<String> BACKEND_IPS = List.of("198.18.2.11", "198.18.2.12", "198.18.2.13");

    private final IpCommand host = IpCommand.system();
    private final List<NetworkNamespace> namespaces = new ArrayList<>();
    private final String prefix;
    private final String rootLink;
    private final int subnet = ThreadLocalRandom.current().nextInt(1, 63) * 4;
    private NetworkNamespace pod;
    private NetworkNamespace node;
    private NetworkNamespace backends;

    /** Builds everything; on a failure, removes what it built before rethrowing. */
    static Topology create() {
        return create("sluice-t", "sl-api-");
    }

    /** As {@link #create()}, with namespaces named {@code <prefix>-<role>-<random>} and the root link {@code <link><random>}. */
    static Topology create(String prefix, String link) {
        Topology topology = new Topology(prefix, link + NetworkNamespace.suffix());
        try {
            topology.build();
            return topology;
        } catch (RuntimeException e) {
            topology.close();
            throw e;
        }
    }

    private Topology(String prefix, String rootLink) {
        this.prefix = prefix;
        this.rootLink = rootLink;
    }

    private void build() {
        pod = add(NetworkNamespace.create(prefix, "pod"));
        node = add(NetworkNamespace.create(prefix, "node"));
        backends = add(NetworkNamespace.create(prefix, "be"));

        hostIp("link", "add", rootLink, "type", "veth", "peer", "name", "vapi", "netns", node.name());
        hostIp("addr", "add", apiServerIp() + "/30", "dev", rootLink);
        hostIp("link", "set", rootLink, "up");
        node.ip("addr", "add", apiNodeIp() + "/30", "dev", "vapi");
        node.ip("link", "set", "vapi", "up");

        node.ip("link", "add", "vpod", "type", "veth", "peer", "name", "eth0", "netns", pod.name());
        node.ip("addr", "add", NODE_IP + "/24", "dev", "vpod");
        node.ip("link", "set", "vpod", "up");
        pod.ip("addr", "add", POD_IP + "/24", "dev", "eth0");
        pod.ip("addr", "add", POD_IP_2 + "/24", "dev", "eth0");
        pod.ip("link", "set", "eth0", "up");
        pod.ip("route", "add", "198.18.0.0/15", "via", NODE_IP);

        node.ip("link", "add", "vbe", "type", "veth", "peer", "name", "eth0", "netns", backends.name());
        node.ip("addr", "add", NODE_BACKEND_IP + "/24", "dev", "vbe");
        node.ip("link", "set", "vbe", "up");
        for (String ip : BACKEND_IPS) {
            backends.ip("addr", "add", ip + "/24", "dev", "eth0");
        }
        backends.ip("link", "set", "eth0", "up");
    }

    private NetworkNamespace add(NetworkNamespace ns) {
        namespaces.add(ns);
        return ns;
    }

    private void hostIp(String... args) {
        IpCommand.Result result = host.run(List.of(args));
        if (!result.ok()) {
            throw new IllegalStateException("ip " + String.join(" ", args) + " failed: " + result.stderr().trim());
        }
    }

    /** Where the mock API server listens, in the root namespace. */
    String apiServerIp() {
        return "198.19." + subnet + ".1";
    }

    private String apiNodeIp() {
        return "198.19." + subnet + ".2";
    }

    NetworkNamespace pod() {
        return pod;
    }

    NetworkNamespace node() {
        return node;
    }

    NetworkNamespace backends() {
        return backends;
    }

    /** Deletes the namespaces (and with them every interface inside) and the root-side link. */
    @Override
    public void close() {
        for (NetworkNamespace ns : namespaces) {
            ns.close();
        }
        namespaces.clear();
        // Normally gone with the node namespace; deleted by name in case the move never happened.
        IpCommand.Result shown = host.run(List.of("link", "show", "dev", rootLink));
        if (shown.ok()) {
            host.run(List.of("link", "del", rootLink));
        }
    }
}
