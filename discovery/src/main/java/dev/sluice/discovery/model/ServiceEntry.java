package dev.sluice.discovery.model;

import java.util.List;
import java.util.Objects;

/**
 * Everything the data path needs for one service port of one family. Immutable; a change makes
 * a new entry.
 *
 * @param key               which service port
 * @param frontends         where it is reached, sorted
 * @param internalEndpoints where internal (ClusterIP, standalone) traffic goes, sorted
 * @param externalEndpoints where NodePort / LoadBalancer / external IP traffic goes, sorted;
 *                          {@code null} when the port is not externally accessible
 * @param policy            affinity, source ranges, traffic policies, balancing, limits
 * @param localEndpoints    ready endpoints on this node, as reported by health-check node ports
 * @param totalEndpoints    all endpoints known for this port before any selection; tells "no
 *                          endpoints" apart from "none local" when a set is empty
 */
public record ServiceEntry(
        ServicePortKey key,
        List<Frontend> frontends,
        List<Backend> internalEndpoints,
        List<Backend> externalEndpoints,
        ServicePolicy policy,
        int localEndpoints,
        int totalEndpoints) {

    public ServiceEntry {
        Objects.requireNonNull(key, "key");
        frontends = List.copyOf(frontends);
        internalEndpoints = List.copyOf(internalEndpoints);
        externalEndpoints = externalEndpoints == null ? null : List.copyOf(externalEndpoints);
        Objects.requireNonNull(policy, "policy");
    }

    /** A standalone entry: listen addresses, one backend list, default policy. */
    public static ServiceEntry standalone(ServicePortKey key, List<Frontend> frontends, List<Backend> backends,
            ServicePolicy policy) {
        return new ServiceEntry(key, frontends, backends, null, policy, 0, backends.size());
    }

    /** The endpoints that traffic arriving through a frontend of this type uses. */
    public List<Backend> endpointsFor(FrontendType type) {
        if (type.external() && externalEndpoints != null) {
            return externalEndpoints;
        }
        return internalEndpoints;
    }
}
