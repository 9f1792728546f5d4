package dev.sluice.proxy.listen;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.List;

/**
 * Which failed binds one retry pass of a {@link ListenerSet} tries: at most a batch, taken in
 * turn from a round over every failure, so that 50,000 addresses this host does not have cost
 * each pass a batch of binds, not 50,000, and every failure still comes round. A round is
 * refilled from the failures as they are when the previous round is used up; a claim that
 * stopped failing in the meantime is skipped by the caller.
 */
final class BindRetries {
    private final int batch;
    private final Deque<Listener.Claim> round = new ArrayDeque<>();

    BindRetries(int batch) {
        if (batch < 1) {
            throw new IllegalArgumentException("batch: " + batch + " (expected: 1 or more)");
        }
        this.batch = batch;
    }

    /** The next claims to retry, at most a batch of them. */
    synchronized List<Listener.Claim> next(Collection<Listener.Claim> failures) {
        if (round.isEmpty()) {
            round.addAll(failures);
        }
        List<Listener.Claim> next = new ArrayList<>(Math.min(batch, round.size()));
        while (next.size() < batch && !round.isEmpty()) {
            next.add(round.poll());
        }
        return next;
    }
}
