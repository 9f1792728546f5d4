package dev.sluice.proxy.observe;

import io.netty.handler.codec.http.HttpResponseStatus;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves {@code /metrics} in the Prometheus text format (version 0.0.4, what kube-proxy's
 * registry serves by default) from {@link Metrics}, and, when given a status source,
 * {@code /status}: the JSON document it renders, computed per request on the admin loop. Both
 * only read; other paths get 404, methods other than GET and HEAD get 405.
 */
public final class MetricsServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(MetricsServer.class);

    /** kube-proxy's {@code --metrics-bind-address} port. */
    public static final int DEFAULT_PORT = 10249;
    static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";
    static final String STATUS_CONTENT_TYPE = "application/json; charset=utf-8";

    private final AdminEventLoop loop;
    private final InetSocketAddress address;
    private final Metrics metrics;
    private final Supplier<String> status;
    private volatile AdminHttp.Server server;

    /**
     * @param loop    the admin event loop
     * @param address where to listen, an IP literal (kube-proxy default {@code 127.0.0.1:10249})
     * @param metrics what to serve
     */
    public MetricsServer(AdminEventLoop loop, InetSocketAddress address, Metrics metrics) {
        this(loop, address, metrics, null);
    }

    /**
     * @param loop    the admin event loop
     * @param address where to listen, an IP literal (kube-proxy default {@code 127.0.0.1:10249})
     * @param metrics what to serve under {@code /metrics}
     * @param status  renders the {@code /status} JSON document on the admin loop, so it must not
     *                block (read immutable snapshots); {@code null} answers {@code /status} with 404
     */
    public MetricsServer(AdminEventLoop loop, InetSocketAddress address, Metrics metrics, Supplier<String> status) {
        this.loop = Objects.requireNonNull(loop, "loop");
        this.address = Objects.requireNonNull(address, "address");
        this.metrics = Objects.requireNonNull(metrics, "metrics");
        this.status = status;
    }

    /** Starts listening; returns the bound address (useful with port 0). */
    public InetSocketAddress start() throws IOException {
        if (server != null) {
            throw new IllegalStateException("metrics server already started on " + AdminHttp.describe(address));
        }
        server = AdminHttp.bind(loop, address, new Handler());
        InetSocketAddress bound = server.localAddress();
        log.info("serving /metrics{} on {}", status == null ? "" : " and /status", AdminHttp.describe(bound));
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
            if (path.equals("/metrics")) {
                return new Reply(HttpResponseStatus.OK, CONTENT_TYPE, metrics.scrape(), Map.of());
            }
            if (path.equals("/status") && status != null) {
                return status();
            }
            return Reply.notFound();
        }

        private Reply status() {
            try {
                return new Reply(HttpResponseStatus.OK, STATUS_CONTENT_TYPE, status.get(), Map.of());
            } catch (RuntimeException e) {
                // A bug in rendering must not take the admin connection (or the loop) down with it.
                log.warn("rendering /status failed", e);
                return Reply.text(HttpResponseStatus.INTERNAL_SERVER_ERROR, "500 status unavailable\n");
            }
        }
    }
}
