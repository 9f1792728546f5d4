package dev.sluice.proxy.forward;

import dev.sluice.discovery.model.FrontendType;
import dev.sluice.discovery.model.ServicePolicy;
import java.net.Inet4Address;
import java.net.InetAddress;

/**
 * Which source address a backend connection carries. The client's is used only where the
 * backend's reply is sure to come back through this node, as kube-proxy keeps it only there:
 * ClusterIP and standalone traffic (the client is a pod of this node, or this node), and
 * external traffic of {@code externalTrafficPolicy: Local} services (the endpoint is on this
 * node). External traffic of {@code Cluster} services comes from the node, as kube-proxy
 * masquerades it: a remote endpoint would answer the client directly, which has never heard of
 * it. IPv4 only; IPv6 connections keep the node's address.
 */
final class SourceChoice {
    private SourceChoice() {
    }

    /** The address to bind the backend connection to, or null for the node's own. */
    static InetAddress backendSource(ForwardSettings settings, FrontendType type, InetAddress client, ServicePolicy policy) {
        boolean wanted = switch (policy.sourceIp()) {
            case CLIENT -> settings.returnRouting();
            case NODE -> false;
            case DEFAULT -> settings.clientSource();
        };
        if (!wanted || !(client instanceof Inet4Address)) {
            return null;
        }
        if (type.external() && !policy.externalLocal()) {
            return null;
        }
        return client;
    }

    /**
     * The source for a connection to one backend: a pod that reaches itself through its Service
     * (hairpin) would answer itself directly rather than through this node, so that connection
     * comes from the node's address, as kube-proxy masquerades hairpin traffic.
     */
    static InetAddress forBackend(InetAddress source, InetAddress backend) {
        return source != null && source.equals(backend) ? null : source;
    }
}
