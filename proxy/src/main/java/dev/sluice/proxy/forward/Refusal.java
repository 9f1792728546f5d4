package dev.sluice.proxy.forward;

/** Why a client was turned away; the value of the {@code reason} label of {@code sluice_connections_refused_total}. */
public enum Refusal {
    /** The service port has no endpoints at all. */
    NO_ENDPOINTS("no_endpoints"),
    /** A Local traffic policy found only endpoints on other nodes. */
    NO_LOCAL_ENDPOINTS("no_local_endpoints"),
    /** The client is outside the service's source ranges. */
    SOURCE_RANGE("source_range"),
    /** The global or the service's connection limit was reached. */
    LIMIT("limit"),
    /** Every endpoint was tried and none accepted the connection. */
    BACKENDS_UNREACHABLE("backends_unreachable");

    private final String tag;

    Refusal(String tag) {
        this.tag = tag;
    }

    /** The tag value. */
    public String tag() {
        return tag;
    }
}
