package dev.sluice.discovery.translate;

import java.util.Map;

/**
 * The one definition of which Services and EndpointSlices a service proxy leaves alone because
 * of their labels, as kube-proxy does: any {@value #PROXY_NAME_LABEL} (another proxy owns the
 * Service, whatever the value) and any {@value #HEADLESS_LABEL}. The informers send it to the
 * API server as {@link #SELECTOR}; {@code explain --manifests}, which has no API server, applies
 * {@link #excludedBy(Map)} to the same effect.
 */
public final class ProxyLabels {
    public static final String PROXY_NAME_LABEL = "service.kubernetes.io/service-proxy-name";
    public static final String HEADLESS_LABEL = "service.kubernetes.io/headless";
    /** The label selector that keeps only objects this proxy serves. */
    public static final String SELECTOR = "!" + PROXY_NAME_LABEL + ",!" + HEADLESS_LABEL;

    private ProxyLabels() {
    }

    /**
     * Why {@link #SELECTOR} filters out an object with these labels, as a skip reason
     * ({@code service-proxy-name} or {@code headless}), or {@code null} when it selects it.
     */
    public static String excludedBy(Map<String, String> labels) {
        if (labels == null) {
            return null;
        }
        if (labels.containsKey(PROXY_NAME_LABEL)) {
            return "service-proxy-name";
        }
        if (labels.containsKey(HEADLESS_LABEL)) {
            return "headless";
        }
        return null;
    }
}
