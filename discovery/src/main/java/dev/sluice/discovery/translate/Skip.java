package dev.sluice.discovery.translate;

/**
 * A part of a Kubernetes object that translation left out, and why. One skip is reported per
 * object, part and reason, however many values of that part had the problem.
 *
 * @param kind      {@code Service} or {@code EndpointSlice}
 * @param namespace the object's namespace ({@code ""} when it has none)
 * @param name      the object's name ({@code ""} when it has none)
 * @param reason    a short kebab-case cause, e.g. {@code headless}, {@code external-name},
 *                  {@code no-cluster-ip}, {@code unsupported-protocol}, {@code invalid-port},
 *                  {@code invalid-address}, {@code no-address}, {@code fqdn-slice},
 *                  {@code no-service-name-label}
 * @param part      which part of the object alone was left out, as a path into it (e.g.
 *                  {@code endpoints[1]}: the rest of the slice is used), or {@code ""} when the
 *                  skip concerns the object as a whole or one of its fields
 */
public record Skip(String kind, String namespace, String name, String reason, String part) {

    public Skip {
        part = part == null ? "" : part;
    }

    /** A skip that concerns the object, not one part of it. */
    public Skip(String kind, String namespace, String name, String reason) {
        this(kind, namespace, name, reason, "");
    }
}
