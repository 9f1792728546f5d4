package dev.sluice.proxy.balance;

import java.time.Duration;
import java.util.Objects;

/**
 * Passive outlier ejection: after {@code failures} consecutive failed connects a backend is
 * skipped by picks for {@code baseTime} times the number of ejections in a row (at most
 * {@value #MAX_MULTIPLIER} times), then tried again. A successful connect resets both counts.
 *
 * @param failures consecutive connect failures that eject a backend, 1 or more
 * @param baseTime how long the first ejection lasts; {@link Duration#ZERO} disables ejection
 */
public record Ejection(int failures, Duration baseTime) {
    /** An ejection never lasts longer than this many base times. */
    public static final int MAX_MULTIPLIER = 10;

    /** Eject after one failure, for ten seconds. */
    public static final Ejection DEFAULT = new Ejection(1, Duration.ofSeconds(10));

    public Ejection {
        if (failures < 1) {
            throw new IllegalArgumentException("ejection failures: " + failures + " (expected: 1 or more)");
        }
        Objects.requireNonNull(baseTime, "baseTime");
        if (baseTime.isNegative()) {
            throw new IllegalArgumentException("ejection time: " + baseTime + " (expected: zero or more)");
        }
    }

    /** Whether failing backends are ever skipped. */
    public boolean enabled() {
        return !baseTime.isZero();
    }
}
