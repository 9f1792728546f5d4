package dev.sluice.proxy.listen;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;

/**
 * The log lines of one reconcile or retry of a {@link ListenerSet}. While a kind of event is
 * rare its lines are written one by one as they always were; when a table brings more than
 * {@value #EACH} of a kind (10,000 listeners at start-up, a port range taken by another
 * process), that kind gets one summary line with its count and the first {@value #EXAMPLES},
 * and every single line goes to debug. Not thread-safe: used under the listener set's lock.
 */
final class ReconcileLog {
    static final int EACH = 5;
    static final int EXAMPLES = 3;

    private final Logger log;
    private final List<String> listening = new ArrayList<>();
    private final List<String> stopped = new ArrayList<>();
    private final List<String> removed = new ArrayList<>();
    private final List<String> endpointsRemoved = new ArrayList<>();
    private final List<String> failed = new ArrayList<>();
    private final Map<String, Integer> failureReasons = new LinkedHashMap<>();

    ReconcileLog(Logger log) {
        this.log = log;
    }

    void listening(String line) {
        listening.add(line);
    }

    void stopped(String line) {
        stopped.add(line);
    }

    void removed(String line) {
        removed.add(line);
    }

    void endpointsRemoved(String line) {
        endpointsRemoved.add(line);
    }

    void cannotListen(String line, String reason) {
        failed.add(line);
        failureReasons.merge(reason, 1, Integer::sum);
    }

    /** Writes what was gathered since the last flush, and forgets it. */
    void flush(int retrySeconds) {
        write(removed, "service ports removed", false, "");
        write(endpointsRemoved, "service ports lost endpoints", false, "");
        write(stopped, "listen addresses closed", false, "");
        write(listening, "new listen addresses bound", false, "");
        StringBuilder reasons = new StringBuilder();
        int shown = 0;
        for (Map.Entry<String, Integer> reason : failureReasons.entrySet()) {
            if (shown++ == EXAMPLES) {
                reasons.append(", ").append(failureReasons.size() - EXAMPLES).append(" other reasons");
                break;
            }
            reasons.append(reasons.length() == 0 ? "" : ", ").append(reason.getValue()).append(": ").append(reason.getKey());
        }
        write(failed, "listen addresses could not be bound (" + reasons + "); retrying every " + retrySeconds + " s",
                true, "; retrying");
        failureReasons.clear();
    }

    private void write(List<String> lines, String summary, boolean warn, String suffix) {
        if (lines.isEmpty()) {
            return;
        }
        if (lines.size() <= EACH) {
            for (String line : lines) {
                if (warn) {
                    log.warn("{}{}", line, suffix);
                } else {
                    log.info(line);
                }
            }
        } else {
            String text = lines.size() + " " + summary + "; the first " + EXAMPLES + ": "
                    + String.join("; ", lines.subList(0, EXAMPLES)) + " (each one at debug level)";
            if (warn) {
                log.warn(text);
            } else {
                log.info(text);
            }
            lines.forEach(log::debug);
        }
        lines.clear();
    }
}
