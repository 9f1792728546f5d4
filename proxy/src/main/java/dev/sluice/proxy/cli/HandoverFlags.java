package dev.sluice.proxy.cli;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import picocli.CommandLine.Option;

/** The options of {@code sluice run} that hand sockets from one process to the next. */
final class HandoverFlags {
    @Option(names = "--handover-socket", paramLabel = "PATH",
            description = {"Take the listening sockets from a sluice serving this Unix socket, if one runs; then serve it for the next.",
                "Both processes must run as the same uid; the socket is created with mode 0600."})
    Path socket;

    @Option(names = "--handover-timeout", paramLabel = "DURATION", defaultValue = "30s", converter = DurationConverter.class,
            description = "A handover not confirmed this long after it began fails; the running process keeps serving (default: ${DEFAULT-VALUE}).")
    Duration timeout;

    @Option(names = "--after-handover", paramLabel = "exit|wait", defaultValue = "exit",
            description = {"After handing its sockets over: let connections finish (--shutdown-grace) and exit 0,",
                "or wait for SIGTERM, as a pod whose exit would restart it must (default: ${DEFAULT-VALUE})."})
    String after;

    /** No handover: the flags of a process started without them. */
    static HandoverFlags none() {
        HandoverFlags flags = new HandoverFlags();
        flags.timeout = Duration.ofSeconds(30);
        flags.after = "exit";
        return flags;
    }

    /** Whether the process exits after a handover (else it waits for SIGTERM). */
    boolean exitsAfterHandover() {
        return switch (after.trim().toLowerCase(Locale.ROOT)) {
            case "exit" -> true;
            case "wait" -> false;
            default -> throw new IllegalArgumentException("after-handover: " + after + " (expected: exit or wait)");
        };
    }
}
