package dev.sluice.discovery.translate;

import dev.sluice.discovery.model.Cidr;
import dev.sluice.discovery.model.ServiceEntry;
import dev.sluice.discovery.model.ServicePolicy;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Renders an {@link Explanation} as aligned columns: one row per entry, continued on further
 * lines when it has several frontends or endpoints, then the skipped parts.
 */
final class ExplanationTable {
    private static final String[] HEADER = {"SERVICE", "PORT", "FAMILY", "FRONTENDS", "INTERNAL", "EXTERNAL", "POLICY"};

    private ExplanationTable() {
    }

    static String render(Explanation explanation) {
        StringBuilder out = new StringBuilder();
        out.append("node: ").append(explanation.node())
                .append("   zone: ").append(explanation.zone() == null ? "(none)" : explanation.zone());
        if (explanation.nodePortAddresses() != null) {
            out.append("   nodeport-addresses: ").append(String.join(",", explanation.nodePortAddresses()));
        }
        out.append('\n').append('\n');
        out.append(services(explanation.entries()));
        out.append('\n').append("SKIPPED").append('\n');
        if (explanation.skipped().isEmpty()) {
            out.append("(nothing)\n");
        }
        for (Skip skip : explanation.skipped()) {
            String name = skip.namespace().isEmpty() ? skip.name() : skip.namespace() + "/" + skip.name();
            out.append(skip.kind()).append(' ').append(name);
            if (!skip.part().isEmpty()) {
                out.append(' ').append(skip.part());
            }
            out.append(": ").append(skip.reason()).append('\n');
        }
        return out.toString();
    }

    /** One row per entry (continued on further lines as needed) under a header, columns aligned. */
    static String services(List<ServiceEntry> entries) {
        List<String[]> rows = new ArrayList<>();
        rows.add(HEADER);
        for (ServiceEntry entry : entries) {
            addRows(rows, entry);
        }
        StringBuilder out = new StringBuilder(aligned(rows));
        if (entries.isEmpty()) {
            out.append("(no service ports)\n");
        }
        return out.toString();
    }

    /** Rows as text, each column as wide as its widest cell plus two spaces, no trailing blanks. */
    static String aligned(List<String[]> rows) {
        int[] widths = new int[rows.get(0).length];
        for (String[] row : rows) {
            for (int i = 0; i < row.length; i++) {
                widths[i] = Math.max(widths[i], row[i].length());
            }
        }
        StringBuilder out = new StringBuilder();
        for (String[] row : rows) {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < row.length; i++) {
                line.append(row[i]).append(" ".repeat(widths[i] - row[i].length() + 2));
            }
            out.append(line.toString().stripTrailing()).append('\n');
        }
        return out.toString();
    }

    private static void addRows(List<String[]> rows, ServiceEntry entry) {
        List<String> frontends = entry.frontends().stream().map(Object::toString).toList();
        List<String> internal = entry.internalEndpoints().stream().map(Object::toString).toList();
        List<String> external = entry.externalEndpoints() == null ? List.of("-")
                : entry.externalEndpoints().stream().map(Object::toString).toList();
        List<String> policy = policy(entry);
        int lines = Math.max(1, Math.max(Math.max(frontends.size(), internal.size()),
                Math.max(external.size(), policy.size())));
        for (int i = 0; i < lines; i++) {
            boolean first = i == 0;
            rows.add(new String[] {
                first ? entry.key().serviceName() : "",
                first ? (entry.key().port().isEmpty() ? "-" : entry.key().port()) + "/" + entry.key().protocol() : "",
                first ? entry.key().family().name() : "",
                cell(frontends, i),
                i == 0 && internal.isEmpty() ? "(none)" : cell(internal, i),
                i == 0 && external.isEmpty() ? "(none)" : cell(external, i),
                cell(policy, i)});
        }
    }

    private static List<String> policy(ServiceEntry entry) {
        ServicePolicy p = entry.policy();
        List<String> lines = new ArrayList<>();
        lines.add("endpoints " + entry.totalEndpoints() + " (local ready " + entry.localEndpoints() + ")");
        if (p.internalLocal()) {
            lines.add("internalTrafficPolicy Local");
        }
        if (p.externalLocal()) {
            lines.add("externalTrafficPolicy Local");
        }
        if (p.affinity() != null) {
            lines.add("affinity ClientIP " + p.affinity().timeoutSeconds() + "s");
        }
        if (!p.sourceRanges().isEmpty()) {
            lines.add("source ranges " + String.join(",", p.sourceRanges().stream().map(Cidr::toString).toList()));
        }
        if (p.healthCheckNodePort() != 0) {
            lines.add("health check node port " + p.healthCheckNodePort());
        }
        lines.add("balance " + p.balance().name().toLowerCase(Locale.ROOT).replace('_', '-'));
        if (p.maxConnections() != 0) {
            lines.add("max connections " + p.maxConnections());
        }
        return lines;
    }

    private static String cell(List<String> values, int index) {
        return index < values.size() ? values.get(index) : "";
    }
}
