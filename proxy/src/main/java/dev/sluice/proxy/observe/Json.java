package dev.sluice.proxy.observe;

import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;

/** The little JSON the admin endpoints print, written by hand to match kube-proxy byte for byte. */
final class Json {
    /** Go's zero {@code time.Time}: what kube-proxy prints for "never". */
    static final Instant GO_ZERO_TIME = Instant.parse("0001-01-01T00:00:00Z");

    private Json() {
    }

    /** A JSON string literal: quotes, backslashes and control characters escaped. */
    static String quote(String value) {
        StringBuilder out = new StringBuilder(value.length() + 2).append('"');
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        return out.append('"').toString();
    }

    /**
     * A time as Go's {@code encoding/json} writes a UTC {@code time.Time} (RFC 3339 with
     * nanoseconds, trailing zeros of the fraction dropped, no fraction when it is zero), quoted.
     */
    static String goTime(Instant time) {
        LocalDateTime t = LocalDateTime.ofEpochSecond(time.getEpochSecond(), 0, ZoneOffset.UTC);
        StringBuilder out = new StringBuilder(32).append('"').append(String.format("%04d-%02d-%02dT%02d:%02d:%02d",
                t.getYear(), t.getMonthValue(), t.getDayOfMonth(), t.getHour(), t.getMinute(), t.getSecond()));
        int nanos = time.getNano();
        if (nanos != 0) {
            String fraction = String.format("%09d", nanos);
            int end = fraction.length();
            while (fraction.charAt(end - 1) == '0') {
                end--;
            }
            out.append('.').append(fraction, 0, end);
        }
        return out.append("Z\"").toString();
    }
}
