package dev.sluice.proxy.cli;

import dev.sluice.proxy.handover.HandoverServer;
import dev.sluice.proxy.listen.AffinityPin;
import dev.sluice.proxy.listen.MovingConnection;
import io.netty.channel.Channel;
import java.time.Duration;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a handover does to a running process: its listener set pauses and resumes, and once the
 * successor serves, the process releases its admin ports, then drains and exits 0, or waits
 * for SIGTERM ({@code --after-handover wait}).
 */
final class HandingOver implements HandoverServer.Sockets {
    private static final Logger log = LoggerFactory.getLogger(HandingOver.class);

    private final ProxyProcess process;
    private final boolean exits;
    private final Duration grace;

    HandingOver(ProxyProcess process, boolean exits, Duration grace) {
        this.process = process;
        this.exits = exits;
        this.grace = grace;
    }

    @Override
    public void successor(boolean connected) {
        process.successorConnected(connected);
    }

    @Override
    public List<Channel> pause() {
        return process.listeners().pauseForHandover();
    }

    @Override
    public List<AffinityPin> affinityPins() {
        return process.listeners().affinityPins();
    }

    @Override
    public List<MovingConnection> detachConnections() {
        return process.listeners().detachConnections();
    }

    @Override
    public void resume() {
        process.listeners().resumeAfterHandover();
    }

    @Override
    public void handedOver() {
        process.releaseToSuccessor();
        Thread drain = new Thread(() -> {
            try {
                process.awaitRulesReplaced();
                if (exits) {
                    process.shutdown(grace);
                } else {
                    process.listeners().stopAccepting();
                    log.info("handed over; open connections finish here; waiting for SIGTERM (--after-handover wait)");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                process.close();
            }
        }, "sluice-handed-over");
        drain.start();
    }
}
