package dev.sluice.discovery.translate;

/**
 * A part of a Kubernetes object that translation left out, and why. One skip is reported per
 * object and reason, however many values of the object had that problem.
 *
 * @param kind      {@code Service} or {@code EndpointSlice}
 * @param namespace the object's namespace ({@code ""} when it has none)
 * @param name      the object's name ({@code ""} when it has none)
 * @param reason    a short kebab-case cause, e.g. {@code headless}, {@code external-name},
 *                  {@code no-cluster-ip}, {@code unsupported-protocol}, {@code invalid-port},
 *                  {@code invalid-address}, {@code fqdn-slice}, {@code no-service-name-label}
 */
public record Skip(String kind, String namespace, String name, String reason) {
}
