package dev.sluice.discovery.manifest;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import java.util.List;

/** The objects read from manifests that matter to a service proxy, in the order found. */
public record Manifests(List<Service> services, List<EndpointSlice> slices, List<Node> nodes) {

    public Manifests {
        services = List.copyOf(services);
        slices = List.copyOf(slices);
        nodes = List.copyOf(nodes);
    }
}
