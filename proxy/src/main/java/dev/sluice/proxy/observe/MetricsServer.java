package dev.sluice.proxy.observe;

import io.netty.handler.codec.http.HttpResponseStatus;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves {@code /metrics} in the Prometheus text format (version 0.0.4, what kube-proxy's
 * registry serves by default) from {@link Metrics}, and, when given a status source,
 * {@code /status}: the JSON document it renders for the {@link StatusPage} the query asks for,
 * computed per request on the admin loop (a malformed query gets 400 naming the parameter). Both
 * only read; other paths get 404, methods other than GET and HEAD get 405.
 */
public final class MetricsServer extends AdminServer {
    private static final Logger log = LoggerFactory.getLogger(MetricsServer.class);

    /** kube-proxy's {@code --metrics-bind-address} port. */
    public static final int DEFAULT_PORT = 10249;
    static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";
    static final String STATUS_CONTENT_TYPE = "application/json; charset=utf-8";

    private final Metrics metrics;
    private final Function<StatusPage, String> status;

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
     * @param status  renders one page of the {@code /status} JSON document on the admin loop, so it
     *                must not block (read immutable snapshots); {@code null} answers {@code /status} with 404
     */
    public MetricsServer(AdminEventLoop loop, InetSocketAddress address, Metrics metrics,
            Function<StatusPage, String> status) {
        super(loop, address);
        this.metrics = Objects.requireNonNull(metrics, "metrics");
        this.status = status;
    }

    @Override
    AdminHandler newHandler() {
        return new Handler();
    }

    @Override
    String serves() {
        return status == null ? "/metrics" : "/metrics and /status";
    }

    private final class Handler extends AdminHandler {
        @Override
        Reply reply(String path) {
            return reply(path, Map.of());
        }

        @Override
        Reply reply(String path, Map<String, List<String>> query) {
            if (path.equals("/metrics")) {
                return new Reply(HttpResponseStatus.OK, CONTENT_TYPE, metrics.scrape(), Map.of());
            }
            if (path.equals("/status") && status != null) {
                return status(query);
            }
            return Reply.notFound();
        }

        private Reply status(Map<String, List<String>> query) {
            StatusPage page;
            try {
                page = StatusPage.of(query);
            } catch (IllegalArgumentException e) {
                return Reply.text(HttpResponseStatus.BAD_REQUEST, "400 " + e.getMessage() + "\n");
            }
            try {
                return new Reply(HttpResponseStatus.OK, STATUS_CONTENT_TYPE, status.apply(page), Map.of());
            } catch (RuntimeException e) {
                // A bug in rendering must not take the admin connection (or the loop) down with it.
                log.warn("rendering /status failed", e);
                return Reply.text(HttpResponseStatus.INTERNAL_SERVER_ERROR, "500 status unavailable\n");
            }
        }
    }
}
