package dev.sluice.discovery.file;

import dev.sluice.discovery.model.ServicePortKey;
import dev.sluice.discovery.model.TableChange;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

/**
 * Says which services a reload added, removed and changed, by name, for one log line. A service
 * whose key changed (another protocol or family) counts as changed, not as removed and added.
 */
final class ChangeSummary {
    /** Past this many names per group, a log line only gives the count of the rest. */
    private static final int MAX_NAMES = 10;

    private ChangeSummary() {
    }

    static String of(TableChange change) {
        TreeSet<String> added = new TreeSet<>();
        TreeSet<String> removed = new TreeSet<>();
        TreeSet<String> changed = new TreeSet<>();
        for (ServicePortKey key : change.changed()) {
            boolean before = change.previous().get(key) != null;
            boolean after = change.current().get(key) != null;
            (before && after ? changed : after ? added : removed).add(key.serviceName());
        }
        for (String name : List.copyOf(added)) {
            if (removed.remove(name)) {
                added.remove(name);
                changed.add(name);
            }
        }
        List<String> parts = new ArrayList<>();
        part(parts, "added", added);
        part(parts, "removed", removed);
        part(parts, "changed", changed);
        return String.join(", ", parts);
    }

    private static void part(List<String> parts, String label, TreeSet<String> names) {
        if (names.isEmpty()) {
            return;
        }
        List<String> shown = new ArrayList<>(names).subList(0, Math.min(MAX_NAMES, names.size()));
        String more = names.size() > MAX_NAMES ? " and " + (names.size() - MAX_NAMES) + " more" : "";
        parts.add(label + " " + shown + more);
    }
}
