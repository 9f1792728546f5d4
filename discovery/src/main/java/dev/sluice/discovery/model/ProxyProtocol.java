package dev.sluice.discovery.model;

/**
 * Whether a backend connection starts with a PROXY protocol header naming the client, and
 * which version: opt-in per service, for backends that cannot see the client's address
 * otherwise.
 */
public enum ProxyProtocol {
    NONE,
    /** The human-readable header ({@code PROXY TCP4 ...\r\n}). */
    V1,
    /** The binary header. */
    V2
}
