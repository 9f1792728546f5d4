package dev.sluice.discovery.model;

/**
 * Which source address a backend connection of one service port carries. {@link #DEFAULT}
 * follows the proxy's {@code --source-ip} flag; the others are a standalone service's own
 * choice.
 */
public enum SourceIp {
    /** Whatever the proxy's {@code --source-ip} flag says. */
    DEFAULT,
    /** The client's address, where the reply is sure to come back through this node. */
    CLIENT,
    /** The node's own address. */
    NODE
}
