package dev.sluice.proxy.listen;

import dev.sluice.proxy.balance.Ejection;
import dev.sluice.proxy.forward.ForwardSettings;
import dev.sluice.proxy.net.Transport;
import java.time.Duration;
import java.util.Objects;

/**
 * How the data path behaves, for every service. Validated on construction: a bad value fails
 * with {@code field: value (expected: ...)}.
 *
 * @param connectTimeout    how long a backend connect may take before the next backend is tried
 * @param idleTimeout       close a TCP connection after this long without bytes either way;
 *                          {@link Duration#ZERO} = never, as kube-proxy
 * @param maxConnections    TCP connections the whole proxy admits at once; 0 = no limit
 * @param drainTimeout      how long connections through a removed frontend or to a removed
 *                          endpoint may continue; {@link Duration#ZERO} = until they end
 * @param eventLoopThreads  I/O threads
 * @param transport         {@code auto}, {@code io_uring}, {@code epoll} or {@code nio}
 * @param nodePortAddresses the node addresses NodePort frontends listen on
 * @param ejectionFailures  consecutive connect failures that eject a backend
 * @param ejectionTime      how long a first ejection lasts (repeated ones last longer);
 *                          {@link Duration#ZERO} disables ejection
 * @param udpFlowTimeout    how long an idle UDP flow keeps its backend
 */
public record ProxyOptions(
        Duration connectTimeout,
        Duration idleTimeout,
        int maxConnections,
        Duration drainTimeout,
        int eventLoopThreads,
        String transport,
        NodePortAddresses nodePortAddresses,
        int ejectionFailures,
        Duration ejectionTime,
        Duration udpFlowTimeout) {

    /** 1 s connect timeout, no idle timeout, no limit, no drain, one I/O thread, auto transport, all node addresses, ejection after 1 failure for 10 s, 30 s UDP flows. */
    public static final ProxyOptions DEFAULT = new ProxyOptions(Duration.ofSeconds(1), Duration.ZERO, 0, Duration.ZERO,
            1, "auto", NodePortAddresses.ALL, 1, Duration.ofSeconds(10), Duration.ofSeconds(30));

    public ProxyOptions {
        positive("connect-timeout", connectTimeout);
        notNegative("idle-timeout", idleTimeout);
        notNegative("drain-timeout", drainTimeout);
        notNegative("ejection-time", ejectionTime);
        positive("udp-flow-timeout", udpFlowTimeout);
        if (maxConnections < 0) {
            throw new IllegalArgumentException("max-connections: " + maxConnections + " (expected: 0 for no limit, or more)");
        }
        if (eventLoopThreads < 1) {
            throw new IllegalArgumentException("event-loop-threads: " + eventLoopThreads + " (expected: 1 or more)");
        }
        Objects.requireNonNull(transport, "transport");
        Objects.requireNonNull(nodePortAddresses, "nodePortAddresses");
        if (ejectionFailures < 1) {
            throw new IllegalArgumentException("ejection-failures: " + ejectionFailures + " (expected: 1 or more)");
        }
    }

    private static void positive(String field, Duration value) {
        Objects.requireNonNull(value, field);
        if (value.isNegative() || value.isZero()) {
            throw new IllegalArgumentException(field + ": " + value + " (expected: more than zero)");
        }
    }

    private static void notNegative(String field, Duration value) {
        Objects.requireNonNull(value, field);
        if (value.isNegative()) {
            throw new IllegalArgumentException(field + ": " + value + " (expected: zero to disable, or more)");
        }
    }

    public ProxyOptions withConnectTimeout(Duration value) {
        return new ProxyOptions(value, idleTimeout, maxConnections, drainTimeout, eventLoopThreads, transport,
                nodePortAddresses, ejectionFailures, ejectionTime, udpFlowTimeout);
    }

    public ProxyOptions withIdleTimeout(Duration value) {
        return new ProxyOptions(connectTimeout, value, maxConnections, drainTimeout, eventLoopThreads, transport,
                nodePortAddresses, ejectionFailures, ejectionTime, udpFlowTimeout);
    }

    public ProxyOptions withMaxConnections(int value) {
        return new ProxyOptions(connectTimeout, idleTimeout, value, drainTimeout, eventLoopThreads, transport,
                nodePortAddresses, ejectionFailures, ejectionTime, udpFlowTimeout);
    }

    public ProxyOptions withDrainTimeout(Duration value) {
        return new ProxyOptions(connectTimeout, idleTimeout, maxConnections, value, eventLoopThreads, transport,
                nodePortAddresses, ejectionFailures, ejectionTime, udpFlowTimeout);
    }

    public ProxyOptions withEventLoopThreads(int value) {
        return new ProxyOptions(connectTimeout, idleTimeout, maxConnections, drainTimeout, value, transport,
                nodePortAddresses, ejectionFailures, ejectionTime, udpFlowTimeout);
    }

    public ProxyOptions withTransport(String value) {
        return new ProxyOptions(connectTimeout, idleTimeout, maxConnections, drainTimeout, eventLoopThreads, value,
                nodePortAddresses, ejectionFailures, ejectionTime, udpFlowTimeout);
    }

    public ProxyOptions withNodePortAddresses(NodePortAddresses value) {
        return new ProxyOptions(connectTimeout, idleTimeout, maxConnections, drainTimeout, eventLoopThreads, transport,
                value, ejectionFailures, ejectionTime, udpFlowTimeout);
    }

    public ProxyOptions withEjection(int failures, Duration time) {
        return new ProxyOptions(connectTimeout, idleTimeout, maxConnections, drainTimeout, eventLoopThreads, transport,
                nodePortAddresses, failures, time, udpFlowTimeout);
    }

    public ProxyOptions withUdpFlowTimeout(Duration value) {
        return new ProxyOptions(connectTimeout, idleTimeout, maxConnections, drainTimeout, eventLoopThreads, transport,
                nodePortAddresses, ejectionFailures, ejectionTime, value);
    }

    Ejection ejection() {
        return new Ejection(ejectionFailures, ejectionTime);
    }

    ForwardSettings forwardSettings(Transport chosen) {
        return new ForwardSettings(chosen, connectTimeout, idleTimeout, udpFlowTimeout);
    }
}
