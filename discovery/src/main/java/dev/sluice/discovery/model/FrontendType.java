package dev.sluice.discovery.model;

/**
 * How traffic reaches a service port. The wire name is the one {@code sluice explain} prints.
 * {@link #LISTEN} is a standalone-mode address from a static file; it counts as internal
 * traffic.
 */
public enum FrontendType {
    CLUSTER_IP("ClusterIP", false),
    NODE_PORT("NodePort", true),
    LOAD_BALANCER("LoadBalancer", true),
    EXTERNAL_IP("ExternalIP", true),
    LISTEN("Listen", false);

    private final String wireName;
    private final boolean external;

    FrontendType(String wireName, boolean external) {
        this.wireName = wireName;
        this.external = external;
    }

    /** The name used in JSON and logs, e.g. {@code ClusterIP}. */
    public String wireName() {
        return wireName;
    }

    /** Whether traffic through this frontend uses the external endpoint set. */
    public boolean external() {
        return external;
    }
}
