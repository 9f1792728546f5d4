package dev.sluice.discovery.translate;

import dev.sluice.discovery.model.ServiceEntry;
import java.util.List;

/**
 * The result of translating one Service with its EndpointSlices: the table entries (sorted by
 * key) and what was left out (in the order found, without repeats).
 */
public record Translation(List<ServiceEntry> entries, List<Skip> skipped) {

    public Translation {
        entries = List.copyOf(entries);
        skipped = List.copyOf(skipped);
    }
}
