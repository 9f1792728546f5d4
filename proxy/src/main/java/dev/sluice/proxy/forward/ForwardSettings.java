package dev.sluice.proxy.forward;

import dev.sluice.proxy.net.Transport;
import java.time.Duration;
import java.util.Objects;

/**
 * How the relay treats every connection, whatever its service.
 *
 * @param transport      channel classes for backend connections and UDP flows
 * @param connectTimeout how long a backend connect may take before the next backend is tried
 * @param idleTimeout    close both sides after this long without bytes either way; zero = never
 * @param udpFlowTimeout forget a UDP flow after this long without datagrams either way
 * @param clientSource   {@code --source-ip client}: backend connections carry the client's
 *                       address where the reply comes back through this node
 * @param returnRouting  whether the return routing for transparent sockets is installed, which a
 *                       service's own {@code sourceIp: client} needs
 */
public record ForwardSettings(Transport transport, Duration connectTimeout, Duration idleTimeout,
        Duration udpFlowTimeout, boolean clientSource, boolean returnRouting) {

    /** Settings with backend connections from the node's address. */
    public ForwardSettings(Transport transport, Duration connectTimeout, Duration idleTimeout, Duration udpFlowTimeout) {
        this(transport, connectTimeout, idleTimeout, udpFlowTimeout, false, false);
    }

    /** These settings with the transparent-source choice of {@code --source-ip} and the routing it relies on. */
    public ForwardSettings withSource(boolean client, boolean routing) {
        return new ForwardSettings(transport, connectTimeout, idleTimeout, udpFlowTimeout, client, routing);
    }

    public ForwardSettings {
        Objects.requireNonNull(transport, "transport");
        if (connectTimeout.isNegative() || connectTimeout.isZero()) {
            throw new IllegalArgumentException("connect timeout: " + connectTimeout + " (expected: more than zero)");
        }
        if (idleTimeout.isNegative()) {
            throw new IllegalArgumentException("idle timeout: " + idleTimeout + " (expected: zero for none, or more)");
        }
        if (udpFlowTimeout.isNegative() || udpFlowTimeout.isZero()) {
            throw new IllegalArgumentException("udp flow timeout: " + udpFlowTimeout + " (expected: more than zero)");
        }
    }
}
