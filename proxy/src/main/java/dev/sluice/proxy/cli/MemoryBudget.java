package dev.sluice.proxy.cli;

import io.netty.util.internal.PlatformDependent;
import java.util.Locale;
import java.util.Properties;

/**
 * The memory this process may use, as {@code bin/sluice} sized it from the cgroup limit, and
 * the heap and direct memory the JVM actually runs with. The launcher passes what it found as
 * system properties ({@code sluice.memory.limit}: bytes or {@code none};
 * {@code sluice.memory.sized-for}: the bytes it sized for; {@code sluice.memory.from}:
 * {@code cgroup-v2:FILE}, {@code cgroup-v1:FILE} or {@code none}); without them (plain
 * {@code java -jar}) the JVM's own defaults apply and the line says so.
 *
 * @param heapMax   the most heap the JVM will use, in bytes
 * @param directMax the most direct memory, in bytes
 * @param from      where the limit came from, for people
 */
record MemoryBudget(long heapMax, long directMax, String from) {

    /** The budget of this JVM. */
    static MemoryBudget current() {
        return of(Runtime.getRuntime().maxMemory(), PlatformDependent.maxDirectMemory(), System.getProperties());
    }

    static MemoryBudget of(long heapMax, long directMax, Properties launcher) {
        String limit = launcher.getProperty("sluice.memory.limit");
        String from = launcher.getProperty("sluice.memory.from", "");
        String sizedFor = launcher.getProperty("sluice.memory.sized-for", "");
        String origin;
        if (limit == null) {
            origin = "the JVM's defaults (not started by bin/sluice)";
        } else if (from.startsWith("cgroup-v2:") || from.startsWith("cgroup-v1:")) {
            String version = from.substring("cgroup-".length(), "cgroup-vN".length());
            origin = "the cgroup " + version + " memory limit of " + mib(parse(limit)) + " ("
                    + from.substring(from.indexOf(':') + 1) + ")";
        } else {
            origin = "no memory limit (sized for " + mib(parse(sizedFor)) + ")";
        }
        return new MemoryBudget(heapMax, directMax, origin);
    }

    private static long parse(String bytes) {
        try {
            return Long.parseLong(bytes);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** {@code 96 MiB}; unknown sizes print as {@code ?}. */
    static String mib(long bytes) {
        return bytes < 0 ? "?" : String.format(Locale.ROOT, "%d MiB", bytes / (1024 * 1024));
    }

    /** The one start-up line. */
    String describe() {
        return "memory budget: heap max " + mib(heapMax) + ", direct memory max " + mib(directMax) + ", from " + from;
    }
}
