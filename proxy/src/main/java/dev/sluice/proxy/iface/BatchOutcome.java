package dev.sluice.proxy.iface;

import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Which lines of an {@code ip -force -batch -} run failed, and why. {@code ip} prints the
 * kernel's message, then {@code Command failed -:N} naming the 1-based line.
 */
final class BatchOutcome {
    private static final Pattern FAILED_LINE = Pattern.compile("Command failed -:(\\d+)");

    private final Map<Integer, String> failures;
    private final String unattributed;

    private BatchOutcome(Map<Integer, String> failures, String unattributed) {
        this.failures = failures;
        this.unattributed = unattributed;
    }

    static BatchOutcome of(IpCommand.Result result) {
        Map<Integer, String> failures = new HashMap<>();
        StringBuilder message = new StringBuilder();
        for (String line : result.stderr().split("\n")) {
            Matcher matcher = FAILED_LINE.matcher(line.trim());
            if (matcher.matches()) {
                failures.put(Integer.parseInt(matcher.group(1)), message.toString().trim());
                message.setLength(0);
            } else if (!line.isBlank()) {
                message.append(line.trim()).append(' ');
            }
        }
        String unattributed = "";
        if (!result.ok() && failures.isEmpty()) {
            String rest = message.toString().trim();
            unattributed = rest.isEmpty() ? "ip exited with status " + result.exitCode() : rest;
        }
        return new BatchOutcome(failures, unattributed);
    }

    /** The error for a 1-based line, or {@code null} when it succeeded. */
    String failure(int line) {
        String failed = failures.get(line);
        if (failed != null) {
            return failed;
        }
        // A failure ip could not pin on a line (it died, say) counts against every line.
        return unattributed.isEmpty() ? null : unattributed;
    }

    static boolean notPermitted(String message) {
        return message != null && message.contains("Operation not permitted");
    }

    static boolean alreadyAssigned(String message) {
        return message != null && (message.contains("already assigned") || message.contains("File exists"));
    }

    static boolean notFound(String message) {
        return message != null && (message.contains("not found") || message.contains("Cannot assign requested address"));
    }
}
