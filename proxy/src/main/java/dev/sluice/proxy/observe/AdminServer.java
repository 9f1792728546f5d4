package dev.sluice.proxy.observe;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One admin HTTP listener on the shared admin loop: started once, closed at most once. Subclasses
 * say what they serve through their handler.
 */
abstract class AdminServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(AdminServer.class);

    private final AdminEventLoop loop;
    private final InetSocketAddress address;
    /** Set by start, cleared by close. */
    private volatile AdminHttp.Server server;

    AdminServer(AdminEventLoop loop, InetSocketAddress address) {
        this.loop = Objects.requireNonNull(loop, "loop");
        this.address = Objects.requireNonNull(address, "address");
    }

    /** The handler answering each request of one connection. */
    abstract AdminHandler newHandler();

    /** What the log line says this server serves, e.g. {@code /metrics}. */
    abstract String serves();

    /** Starts listening; returns the bound address (useful with port 0). */
    public InetSocketAddress start() throws IOException {
        if (server != null) {
            throw new IllegalStateException(serves() + " already served on " + AdminHttp.describe(address));
        }
        server = AdminHttp.bind(loop, address, newHandler());
        InetSocketAddress bound = server.localAddress();
        log.info("serving {} on {}", serves(), AdminHttp.describe(bound));
        return bound;
    }

    /** Stops listening. */
    @Override
    public void close() {
        AdminHttp.Server open = server;
        server = null;
        if (open != null) {
            open.close();
        }
    }
}
