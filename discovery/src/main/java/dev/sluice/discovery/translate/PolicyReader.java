package dev.sluice.discovery.translate;

import dev.sluice.discovery.model.Balance;
import dev.sluice.discovery.model.Cidr;
import dev.sluice.discovery.model.IpFamily;
import dev.sluice.discovery.model.ProxyProtocol;
import dev.sluice.discovery.model.SessionAffinity;
import io.fabric8.kubernetes.api.model.ClientIPConfig;
import io.fabric8.kubernetes.api.model.ServiceSpec;
import io.fabric8.kubernetes.api.model.SessionAffinityConfig;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * Reads the Service fields and annotations that shape how connections are handled. Every
 * reader reports a bad value as a skip and falls back to a safe value instead of throwing.
 */
final class PolicyReader {
    static final String BALANCE_ANNOTATION = "sluice.dev/balance";
    static final String MAX_CONNECTIONS_ANNOTATION = "sluice.dev/max-connections";
    static final String PROXY_PROTOCOL_ANNOTATION = "sluice.dev/proxy-protocol";
    static final String METRICS_ANNOTATION = "sluice.dev/metrics";

    private PolicyReader() {
    }

    /**
     * The source ranges of one family.
     *
     * @param ranges     the allowed client prefixes; empty allows every client
     * @param failClosed the user listed ranges of this family and none could be read: the
     *                   LoadBalancer frontends must not be served rather than be open to all
     */
    record SourceRanges(List<Cidr> ranges, boolean failClosed) {
    }

    /**
     * Client-IP affinity, or {@code null} for none. A timeout outside 1..86400 is reported as
     * {@code invalid-affinity-timeout} and replaced by the default (10800 s); an unknown
     * affinity type is reported as {@code invalid-session-affinity} and means none.
     */
    static SessionAffinity affinity(ServiceSpec spec, Skips skips) {
        String type = spec.getSessionAffinity();
        if (type == null || type.isEmpty() || "None".equals(type)) {
            return null;
        }
        if (!"ClientIP".equals(type)) {
            skips.service("invalid-session-affinity");
            return null;
        }
        SessionAffinityConfig config = spec.getSessionAffinityConfig();
        ClientIPConfig clientIp = config == null ? null : config.getClientIP();
        Integer timeout = clientIp == null ? null : clientIp.getTimeoutSeconds();
        if (timeout == null) {
            return new SessionAffinity(SessionAffinity.DEFAULT_TIMEOUT_SECONDS);
        }
        if (timeout < 1 || timeout > SessionAffinity.MAX_TIMEOUT_SECONDS) {
            skips.service("invalid-affinity-timeout");
            return new SessionAffinity(SessionAffinity.DEFAULT_TIMEOUT_SECONDS);
        }
        return new SessionAffinity(timeout);
    }

    /**
     * {@code loadBalancerSourceRanges} split by family. A range covering a whole family
     * ({@code 0.0.0.0/0}, {@code ::/0}) allows all of it, written as the empty list. A range that
     * cannot be read is reported as {@code invalid-source-range} and counted against IPv6 when it
     * has a colon, else IPv4; a family whose every listed range was unreadable fails closed.
     * (Upstream drops unreadable ranges silently, which can turn a restriction into allow-all.)
     */
    static Map<IpFamily, SourceRanges> sourceRanges(List<String> texts, Skips skips) {
        Map<IpFamily, List<Cidr>> valid = new EnumMap<>(IpFamily.class);
        Map<IpFamily, Boolean> invalid = new EnumMap<>(IpFamily.class);
        for (IpFamily family : IpFamily.values()) {
            valid.put(family, new ArrayList<>());
            invalid.put(family, false);
        }
        for (String text : SliceEndpoints.nonNull(texts)) {
            Cidr cidr = parseCidr(text);
            if (cidr == null) {
                skips.service("invalid-source-range");
                invalid.put(text != null && text.indexOf(':') >= 0 ? IpFamily.IPv6 : IpFamily.IPv4, true);
                continue;
            }
            List<Cidr> list = valid.get(cidr.family());
            if (!list.contains(cidr)) {
                list.add(cidr);
            }
        }
        Map<IpFamily, SourceRanges> result = new EnumMap<>(IpFamily.class);
        for (IpFamily family : IpFamily.values()) {
            List<Cidr> ranges = valid.get(family);
            boolean allowsAll = ranges.stream().anyMatch(c -> c.prefixLength() == 0);
            boolean failClosed = ranges.isEmpty() && invalid.get(family);
            result.put(family, new SourceRanges(allowsAll ? List.of() : List.copyOf(ranges), failClosed));
        }
        return result;
    }

    /**
     * The {@code sluice.dev/balance} annotation: {@code round-robin} or
     * {@code least-connections}; unset means the node default, anything else is reported as
     * {@code invalid-annotation} and also means the default.
     */
    static Balance balance(Map<String, String> annotations, Balance defaultBalance, Skips skips) {
        String value = annotations == null ? null : annotations.get(BALANCE_ANNOTATION);
        if (value == null) {
            return defaultBalance;
        }
        switch (value.trim()) {
            case "round-robin":
                return Balance.ROUND_ROBIN;
            case "least-connections":
                return Balance.LEAST_CONNECTIONS;
            default:
                skips.service("invalid-annotation");
                return defaultBalance;
        }
    }

    /**
     * The {@code sluice.dev/max-connections} annotation: a non-negative integer, 0 for no
     * limit; anything else is reported as {@code invalid-annotation} and means no limit.
     */
    static int maxConnections(Map<String, String> annotations, Skips skips) {
        String value = annotations == null ? null : annotations.get(MAX_CONNECTIONS_ANNOTATION);
        if (value == null) {
            return 0;
        }
        try {
            int limit = Integer.parseInt(value.trim());
            if (limit >= 0) {
                return limit;
            }
        } catch (NumberFormatException e) {
            // reported below, like a negative number
        }
        skips.service("invalid-annotation");
        return 0;
    }

    /**
     * The {@code sluice.dev/metrics} annotation: {@code "true"} asks for this Service's own
     * metric series, {@code "false"} or unset does not; anything else is reported as
     * {@code invalid-annotation} and means no.
     */
    static boolean metrics(Map<String, String> annotations, Skips skips) {
        String value = annotations == null ? null : annotations.get(METRICS_ANNOTATION);
        if (value == null) {
            return false;
        }
        switch (value.trim()) {
            case "true":
                return true;
            case "false":
                return false;
            default:
                skips.service("invalid-annotation");
                return false;
        }
    }

    /**
     * The {@code sluice.dev/proxy-protocol} annotation: {@code v1} or {@code v2} opens every
     * backend connection with a PROXY protocol header; unset (or {@code none}) means no header,
     * anything else is reported as {@code invalid-annotation} and also means none.
     */
    static ProxyProtocol proxyProtocol(Map<String, String> annotations, Skips skips) {
        String value = annotations == null ? null : annotations.get(PROXY_PROTOCOL_ANNOTATION);
        if (value == null) {
            return ProxyProtocol.NONE;
        }
        switch (value.trim()) {
            case "v1":
                return ProxyProtocol.V1;
            case "v2":
                return ProxyProtocol.V2;
            case "none":
                return ProxyProtocol.NONE;
            default:
                skips.service("invalid-annotation");
                return ProxyProtocol.NONE;
        }
    }

    private static Cidr parseCidr(String text) {
        if (text == null || text.indexOf('%') >= 0) {
            return null;
        }
        try {
            return Cidr.parse(text);
        } catch (RuntimeException e) {
            return null;
        }
    }
}
