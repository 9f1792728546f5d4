package dev.sluice.discovery.translate;

import dev.sluice.discovery.model.Balance;
import java.util.Objects;

/**
 * What translation needs to know about the node it runs on.
 *
 * @param nodeName       this node's name; an endpoint whose {@code nodeName} equals it is local
 * @param zone           this node's {@code topology.kubernetes.io/zone} label, or {@code null}
 *                       when the node has none (zone hints are then never used)
 * @param defaultBalance the balancing used when a Service has no {@code sluice.dev/balance}
 *                       annotation
 */
public record NodeContext(String nodeName, String zone, Balance defaultBalance) {

    public NodeContext {
        Objects.requireNonNull(nodeName, "nodeName");
        Objects.requireNonNull(defaultBalance, "defaultBalance");
    }
}
