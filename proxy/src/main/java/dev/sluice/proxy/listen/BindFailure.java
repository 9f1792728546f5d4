package dev.sluice.proxy.listen;

import dev.sluice.discovery.model.Frontend;
import dev.sluice.discovery.model.ServicePortKey;
import java.net.InetSocketAddress;

/**
 * A frontend address the proxy wants to listen on but cannot, yet: it is retried on every
 * later table and periodically.
 *
 * @param key      the service port that wants the address
 * @param frontend the frontend the address comes from
 * @param address  the socket address that could not be bound
 * @param reason   why, e.g. {@code Address already in use} or {@code conflict with ns/other:http/TCP/IPv4}
 */
public record BindFailure(ServicePortKey key, Frontend frontend, InetSocketAddress address, String reason) {
}
