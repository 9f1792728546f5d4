package dev.sluice.proxy.observe;

import io.netty.handler.codec.http.HttpResponseStatus;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves {@code /metrics} in the Prometheus text format (version 0.0.4, what kube-proxy's
 * registry serves by default) from {@link Metrics}. A scrape only reads; other paths get 404,
 * methods other than GET and HEAD get 405.
 */
public final class MetricsServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(MetricsServer.class);

    /** kube-proxy's {@code --metrics-bind-address} port. */
    public static final int DEFAULT_PORT = 10249;
    static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

    private final AdminEventLoop loop;
    private final InetSocketAddress address;
    private final Metrics metrics;
    private volatile AdminHttp.Server server;

    /**
     * @param loop    the admin event loop
     * @param address where to listen, an IP literal (kube-proxy default {@code 127.0.0.1:10249})
     * @param metrics what to serve
     */
    public MetricsServer(AdminEventLoop loop, InetSocketAddress address, Metrics metrics) {
        this.loop = Objects.requireNonNull(loop, "loop");
        this.address = Objects.requireNonNull(address, "address");
        this.metrics = Objects.requireNonNull(metrics, "metrics");
    }

    /** Starts listening; returns the bound address (useful with port 0). */
    public InetSocketAddress start() throws IOException {
        if (server != null) {
            throw new IllegalStateException("metrics server already started on " + AdminHttp.describe(address));
        }
        server = AdminHttp.bind(loop, address, new Handler());
        InetSocketAddress bound = server.localAddress();
        log.info("serving /metrics on {}", AdminHttp.describe(bound));
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

    private final class Handler extends AdminHandler {
        @Override
        Reply reply(String path) {
            if (!path.equals("/metrics")) {
                return Reply.notFound();
            }
            return new Reply(HttpResponseStatus.OK, CONTENT_TYPE, metrics.scrape(), Map.of());
        }
    }
}
