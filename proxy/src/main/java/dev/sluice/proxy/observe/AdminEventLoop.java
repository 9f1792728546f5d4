package dev.sluice.proxy.observe;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.util.concurrent.TimeUnit;

/**
 * The one thread that serves every admin HTTP endpoint: {@code /healthz}, {@code /livez},
 * {@code /metrics} and the health-check node ports. Kept apart from the data-path event loops so
 * that a slow scrape or a flood of probes never delays proxied traffic, and the other way round.
 * The thread is a daemon: it never keeps the process alive. Close it after the servers using it.
 */
public final class AdminEventLoop implements AutoCloseable {
    private final EventLoopGroup group =
            new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("sluice-admin", true), NioIoHandler.newFactory());

    EventLoopGroup group() {
        return group;
    }

    /** Stops the thread; channels still open on it are closed. */
    @Override
    public void close() {
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
