package dev.sluice.proxy.cli;

import java.time.Duration;
import picocli.CommandLine;

/**
 * Reads durations the way Kubernetes flags write them: {@code 250ms}, {@code 10s}, {@code 2m},
 * {@code 1h}, {@code 0} (off), or a bare number of seconds.
 */
final class DurationConverter implements CommandLine.ITypeConverter<Duration> {

    @Override
    public Duration convert(String value) {
        return parse(value);
    }

    static Duration parse(String value) {
        String text = value == null ? "" : value.trim();
        try {
            if (text.endsWith("ms")) {
                return nonNegative(value, Duration.ofMillis(Long.parseLong(text.substring(0, text.length() - 2))));
            }
            if (text.endsWith("s")) {
                return nonNegative(value, Duration.ofMillis(Math.round(Double.parseDouble(text.substring(0, text.length() - 1)) * 1000)));
            }
            if (text.endsWith("m")) {
                return nonNegative(value, Duration.ofSeconds(Long.parseLong(text.substring(0, text.length() - 1)) * 60));
            }
            if (text.endsWith("h")) {
                return nonNegative(value, Duration.ofHours(Long.parseLong(text.substring(0, text.length() - 1))));
            }
            return nonNegative(value, Duration.ofMillis(Math.round(Double.parseDouble(text) * 1000)));
        } catch (NumberFormatException e) {
            throw new CommandLine.TypeConversionException(
                    "\"" + value + "\" (expected: a duration such as 250ms, 10s, 2m, 1h or 0)");
        }
    }

    /** The duration as a flag would write it: {@code 250ms}, {@code 10s}, {@code 0}. */
    static String format(Duration duration) {
        if (duration.isZero()) {
            return "0";
        }
        long millis = duration.toMillis();
        return millis % 1000 == 0 ? millis / 1000 + "s" : millis + "ms";
    }

    private static Duration nonNegative(String value, Duration duration) {
        if (duration.isNegative()) {
            throw new CommandLine.TypeConversionException("\"" + value + "\" (expected: a duration of 0 or more)");
        }
        return duration;
    }
}
