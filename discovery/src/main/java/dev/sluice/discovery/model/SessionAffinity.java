package dev.sluice.discovery.model;

/**
 * Client-IP session affinity: a client IP keeps its endpoint for {@code timeoutSeconds} after
 * its last connection.
 */
public record SessionAffinity(int timeoutSeconds) {
    /** Kubernetes' default timeout, three hours. */
    public static final int DEFAULT_TIMEOUT_SECONDS = 10800;
    /** Kubernetes' largest accepted timeout, one day. */
    public static final int MAX_TIMEOUT_SECONDS = 86400;

    public SessionAffinity {
        if (timeoutSeconds < 1 || timeoutSeconds > MAX_TIMEOUT_SECONDS) {
            throw new IllegalArgumentException(
                    "timeoutSeconds: " + timeoutSeconds + " (expected: 1.." + MAX_TIMEOUT_SECONDS + ")");
        }
    }
}
