package dev.sluice.proxy.observe;

import dev.sluice.discovery.model.ServicePortKey;
import dev.sluice.proxy.forward.ServiceSlot;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.PriorityQueue;

/**
 * Which service ports export series of their own ({@code sluice_service_*}), so that
 * {@code /metrics} stays small however many Services a cluster has. Totals over all service
 * ports are always exported; per service port, only what a user asks for:
 * <ul>
 *   <li>{@code none}: no service port;
 *   <li>{@code annotated} (the default): the service ports of Services annotated
 *       {@code sluice.dev/metrics: "true"} (standalone: {@code metrics: true});
 *   <li>{@code all}: every service port;
 * </ul>
 * and in every mode at most {@code max} of them: the first {@code max} in service-port order
 * (namespace, name, port, protocol, family), so the same ports keep their series from scrape to
 * scrape. The ports left out are counted in {@code sluice_service_metrics_omitted}.
 *
 * @param mode which service ports ask
 * @param max  the most service ports exported, 0 or more
 */
public record ServiceSeriesRule(Mode mode, int max) {
    /** The default: annotated Services, at most 100 service ports (about 240 KiB of text). */
    public static final ServiceSeriesRule DEFAULT = new ServiceSeriesRule(Mode.ANNOTATED, 100);

    /** Which service ports ask for series. */
    public enum Mode {
        NONE, ANNOTATED, ALL
    }

    /** The service ports that export series, in service-port order, and how many asked but were left out. */
    public record Selection(List<ServiceSlot> exported, int omitted) {
    }

    public ServiceSeriesRule {
        if (max < 0) {
            throw new IllegalArgumentException("service-metrics-max: " + max + " (expected: 0 or more)");
        }
    }

    /**
     * The rule of the {@code --service-metrics} and {@code --service-metrics-max} flags.
     *
     * @throws IllegalArgumentException naming the flag and what it expects
     */
    public static ServiceSeriesRule of(String mode, int max) {
        Mode parsed = switch (mode.trim().toLowerCase(Locale.ROOT)) {
            case "none" -> Mode.NONE;
            case "annotated" -> Mode.ANNOTATED;
            case "all" -> Mode.ALL;
            default -> throw new IllegalArgumentException(
                    "service-metrics: " + mode + " (expected: none, annotated or all)");
        };
        return new ServiceSeriesRule(parsed, max);
    }

    /** Whether a service port with this slot's current entry asks for series. */
    boolean asks(ServiceSlot slot) {
        return switch (mode) {
            case NONE -> false;
            case ALL -> true;
            case ANNOTATED -> slot.routes().entry().policy().metrics();
        };
    }

    /** Applies the rule; costs O(n log max) for n service ports. */
    Selection select(Collection<ServiceSlot> slots) {
        if (mode == Mode.NONE) {
            return new Selection(List.of(), 0);
        }
        Comparator<ServiceSlot> order = Comparator.comparing(ServiceSlot::key, ServicePortKey::compareTo);
        // The max first in order: a heap of the current best, largest on top.
        PriorityQueue<ServiceSlot> best = new PriorityQueue<>(order.reversed());
        int asking = 0;
        for (ServiceSlot slot : slots) {
            if (!asks(slot)) {
                continue;
            }
            asking++;
            if (best.size() < max) {
                best.add(slot);
            } else if (max > 0 && order.compare(slot, best.peek()) < 0) {
                best.poll();
                best.add(slot);
            }
        }
        List<ServiceSlot> exported = new ArrayList<>(best);
        exported.sort(order);
        return new Selection(exported, asking - exported.size());
    }
}
