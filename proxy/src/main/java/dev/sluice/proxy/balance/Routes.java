package dev.sluice.proxy.balance;

import dev.sluice.discovery.model.FrontendType;
import dev.sluice.discovery.model.ServiceEntry;

/**
 * One entry version with the pools that pick among its endpoints. Immutable; a connection reads
 * the current one once and uses it to the end of its admission.
 */
public final class Routes {
    private final ServiceEntry entry;
    private final Pool internal;
    private final Pool external;

    Routes(ServiceEntry entry, Pool internal, Pool external) {
        this.entry = entry;
        this.internal = internal;
        this.external = external;
    }

    /** The entry these routes were built from. */
    public ServiceEntry entry() {
        return entry;
    }

    /** The pool for traffic arriving through a frontend of this type; mirrors {@link ServiceEntry#endpointsFor}. */
    public Pool poolFor(FrontendType type) {
        return type.external() ? external : internal;
    }

    /**
     * Whether an empty pool for this frontend type is empty because a Local traffic policy found
     * only remote endpoints, rather than because the service has none.
     */
    public boolean onlyRemoteEndpoints(FrontendType type) {
        boolean local = type.external() && entry.externalEndpoints() != null
                ? entry.policy().externalLocal()
                : entry.policy().internalLocal();
        return local && entry.totalEndpoints() > 0;
    }
}
