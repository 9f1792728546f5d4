package dev.sluice.proxy.handover;

import dev.sluice.proxy.forward.HandedConnection;
import io.netty.channel.Channel;
import io.netty.channel.unix.FileDescriptor;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ScheduledFuture;

/** One successor's handover, as the {@link HandoverServer} runs it; confined to its worker thread. */
final class Session {
    enum Step { RESERVED, OFFERED, SENT, COMMITTED, MOVING, PINNING }

    final Channel control;
    final int peerPid;
    Step step = Step.RESERVED;
    List<Channel> paused;
    Channel fds;
    /** READY 0 came before FDS: answered once FDS is here. */
    boolean readyBeforeFds;
    /** Descriptors to send, in order; {@code sent} of them are sent, {@code acked} received. */
    final List<Integer> outgoing = new ArrayList<>();
    int sent;
    int acked;
    /** The connections offered after SERVING, and which of them the successor kept back. */
    List<HandedConnection> moved;
    final Set<Integer> kept = new HashSet<>();
    String serving;
    int pins;
    long takenNanos;
    ScheduledFuture<?> deadline;

    Session(Channel control, int peerPid) {
        this.control = control;
        this.peerPid = peerPid;
    }

    /**
     * Sends descriptors while fewer than {@link Wire#WINDOW} are unacknowledged: a Unix socket's
     * send buffer holds only a few hundred of them, and Netty fails the channel (rather than
     * waiting) when one does not fit.
     */
    void pump() {
        while (sent < outgoing.size() && sent - acked < Wire.WINDOW) {
            fds.write(new FileDescriptor(outgoing.get(sent++)));
        }
        fds.flush();
    }
}
