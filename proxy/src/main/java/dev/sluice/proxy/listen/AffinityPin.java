package dev.sluice.proxy.listen;

import dev.sluice.discovery.model.ServicePortKey;
import dev.sluice.proxy.balance.Pool;

/** One client-IP affinity pin of a service port's internal or external endpoint set, on its way to a successor. */
public record AffinityPin(ServicePortKey key, boolean external, Pool.Pinned pinned) {
}
