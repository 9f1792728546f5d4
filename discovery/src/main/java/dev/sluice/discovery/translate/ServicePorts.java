package dev.sluice.discovery.translate;

import dev.sluice.discovery.model.Protocol;
import io.fabric8.kubernetes.api.model.ServicePort;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** Reads {@code spec.ports}, keeping the ports Sluice can proxy and reporting the rest. */
final class ServicePorts {
    private ServicePorts() {
    }

    /**
     * One proxied service port.
     *
     * @param name     the port name, {@code ""} for a single unnamed port
     * @param nodePort the node port, 0 for none
     */
    record PortSpec(String name, Protocol protocol, int port, int nodePort) {
    }

    /**
     * The usable ports in spec order. A port is reported and left out when its protocol is not
     * TCP or UDP ({@code unsupported-protocol}; SCTP included), its number is not 1..65535
     * ({@code invalid-port}), or its name and protocol repeat an earlier port
     * ({@code duplicate-port}). A node port out of range is reported as {@code invalid-port} and
     * dropped, the port itself kept.
     */
    static List<PortSpec> read(List<ServicePort> ports, Skips skips) {
        List<PortSpec> result = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (ServicePort port : SliceEndpoints.nonNull(ports)) {
            if (port == null) {
                skips.service("invalid-port");
                continue;
            }
            Protocol protocol = protocol(port.getProtocol());
            if (protocol == null) {
                skips.service("unsupported-protocol");
                continue;
            }
            Integer number = port.getPort();
            if (!valid(number)) {
                skips.service("invalid-port");
                continue;
            }
            String name = SliceEndpoints.text(port.getName());
            if (!seen.add(name + "/" + protocol)) {
                skips.service("duplicate-port");
                continue;
            }
            Integer nodePort = port.getNodePort();
            if (nodePort != null && nodePort != 0 && !valid(nodePort)) {
                skips.service("invalid-port");
                nodePort = 0;
            }
            result.add(new PortSpec(name, protocol, number, nodePort == null ? 0 : nodePort));
        }
        return result;
    }

    private static Protocol protocol(String text) {
        if (text == null || "TCP".equals(text)) {
            return Protocol.TCP;
        }
        return "UDP".equals(text) ? Protocol.UDP : null;
    }

    static boolean valid(Integer port) {
        return port != null && port >= 1 && port <= 65535;
    }
}
