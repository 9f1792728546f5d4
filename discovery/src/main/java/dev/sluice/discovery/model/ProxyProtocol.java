package dev.sluice.discovery.model;

/**
 * Whether a backend connection starts with a PROXY protocol header naming the client, and
 * which version: opt-in per service, for backends that cannot see the client's address
 * otherwise.
 */
public enum ProxyProtocol {
    /** No header: the backend sees the stream as the client sent it. */
    NONE,
    /** The human-readable header ({@code PROXY TCP4 ...\r\n}). */
    V1,
    /** The binary header. */
    V2;

    /**
     * The version a service names, as the {@code sluice.dev/proxy-protocol} annotation and the
     * standalone {@code proxyProtocol} key spell it ({@code v1}, {@code v2} or {@code none});
     * null for any other text, which each reader reports its own way.
     */
    public static ProxyProtocol named(String name) {
        return switch (name) {
            case "v1" -> V1;
            case "v2" -> V2;
            case "none" -> NONE;
            default -> null;
        };
    }
}
