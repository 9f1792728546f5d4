package dev.sluice.proxy.observe;

import java.util.List;
import java.util.Map;

/**
 * Which service ports one {@code /status} request asks for, from its query:
 * {@code service=NAMESPACE/NAME} (standalone: {@code NAME}) keeps only that Service's ports;
 * {@code offset} and {@code limit} page through the rest in service-port order. A table of 50,000
 * service ports is therefore never rendered whole: a page is at most {@value #MAX_LIMIT} ports.
 *
 * @param service the Service to show, or {@code null} for all
 * @param offset  how many service ports to skip, 0 or more
 * @param limit   how many to show, 1..{@value #MAX_LIMIT}
 */
public record StatusPage(String service, int offset, int limit) {
    /** Service ports shown when the request does not say. */
    public static final int DEFAULT_LIMIT = 100;
    /** The most service ports one page may hold. */
    public static final int MAX_LIMIT = 5_000;
    /** The first page, of the default size. */
    public static final StatusPage FIRST = new StatusPage(null, 0, DEFAULT_LIMIT);

    public StatusPage {
        if (offset < 0) {
            throw new IllegalArgumentException("offset: " + offset + " (expected: 0 or more)");
        }
        if (limit < 1 || limit > MAX_LIMIT) {
            throw new IllegalArgumentException("limit: " + limit + " (expected: 1.." + MAX_LIMIT + ")");
        }
    }

    /**
     * The page a query asks for.
     *
     * @throws IllegalArgumentException naming the parameter and what it expects
     */
    static StatusPage of(Map<String, List<String>> query) {
        String service = single(query, "service");
        return new StatusPage(service == null || service.isEmpty() ? null : service,
                number(query, "offset", 0), number(query, "limit", DEFAULT_LIMIT));
    }

    private static String single(Map<String, List<String>> query, String name) {
        List<String> values = query.get(name);
        return values == null || values.isEmpty() ? null : values.get(values.size() - 1);
    }

    private static int number(Map<String, List<String>> query, String name, int absent) {
        String value = single(query, name);
        if (value == null) {
            return absent;
        }
        try {
            return Integer.parseInt(value.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + ": " + value + " (expected: an integer)");
        }
    }
}
