package dev.sluice.proxy.listen;

import java.net.InetSocketAddress;
import java.util.List;
import java.util.Set;

/**
 * What a {@link ListenerSet} listens on and what it cannot bind, as of its last reconcile or
 * retry. Immutable, so status pages read it on any thread without taking the set's lock.
 *
 * @param bound    the addresses listened on, TCP and UDP alike
 * @param failures the addresses that could not be bound, in service-port order
 */
public record ListenerStatus(Set<InetSocketAddress> bound, List<BindFailure> failures) {
    /** Before the first table: nothing bound, nothing failed. */
    public static final ListenerStatus EMPTY = new ListenerStatus(Set.of(), List.of());

    public ListenerStatus {
        bound = Set.copyOf(bound);
        failures = List.copyOf(failures);
    }
}
