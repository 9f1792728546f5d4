package dev.sluice.proxy.observe;

import dev.sluice.discovery.state.SyncTracker;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;

/**
 * kube-proxy's health server: {@code /livez} is 200 while every queued update was applied within
 * the health timeout, else 503; {@code /healthz} also needs this node to be eligible (it exists and
 * is not being deleted). Bodies are the JSON kube-proxy prints, for example
 * {@code {"lastUpdated":"2026-01-02T03:04:05.6Z","currentTime":"2026-01-02T03:04:05.6Z","nodeEligible":true,"healthy":true}}
 * ({@code nodeEligible} on {@code /healthz} only). As in kube-proxy, {@code lastUpdated} is the
 * current time while healthy, and {@code healthy} reports the proxy alone, so a {@code /healthz}
 * 503 for an ineligible node still says {@code "healthy":true}. Unlike kube-proxy, which reports
 * healthy while it starts, Sluice answers 503 until its first full table is published: a
 * readiness probe then means "serving". Every answer counts {@code kubeproxy_proxy_healthz_total}
 * or {@code kubeproxy_proxy_livez_total} by {@code code}. Other paths get 404.
 */
public final class HealthServer extends AdminServer {
    /** kube-proxy's {@code --healthz-bind-address} port. */
    public static final int DEFAULT_PORT = 10256;
    /** kube-proxy's default: twice its default {@code syncPeriod} of 30 s. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(60);

    private final SyncTracker tracker;
    private final Duration timeout;
    private final Counter healthz200;
    private final Counter healthz503;
    private final Counter livez200;
    private final Counter livez503;
    /** Set while a successor takes over: readiness passes to it, liveness stays here. */
    private volatile boolean handingOver;

    /**
     * @param loop     the admin event loop
     * @param address  where to listen, an IP literal (kube-proxy default {@code 0.0.0.0:10256})
     * @param tracker  the source's sync status
     * @param timeout  how long a queued update may wait before the proxy is unhealthy
     * @param registry where the probe counters go
     */
    public HealthServer(AdminEventLoop loop, InetSocketAddress address, SyncTracker tracker, Duration timeout,
            MeterRegistry registry) {
        super(loop, address);
        this.tracker = Objects.requireNonNull(tracker, "tracker");
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("health timeout: " + timeout + " (expected: more than zero)");
        }
        this.timeout = timeout;
        healthz200 = probeCounter(registry, "kubeproxy_proxy_healthz_total", "Cumulative proxy healthz HTTP status", "200");
        healthz503 = probeCounter(registry, "kubeproxy_proxy_healthz_total", "Cumulative proxy healthz HTTP status", "503");
        livez200 = probeCounter(registry, "kubeproxy_proxy_livez_total", "Cumulative proxy livez HTTP status", "200");
        livez503 = probeCounter(registry, "kubeproxy_proxy_livez_total", "Cumulative proxy livez HTTP status", "503");
    }

    /**
     * While true, {@code /healthz} answers 503 ({@code /livez} is unchanged): a successor on this
     * host, probed at the same port until it binds it, is not ready before it has taken over.
     */
    public void handingOver(boolean value) {
        handingOver = value;
    }

    /** The health timeout kube-proxy derives from a sync period: twice that period. */
    public static Duration timeoutFor(Duration syncPeriod) {
        return syncPeriod.multipliedBy(2);
    }

    private static Counter probeCounter(MeterRegistry registry, String name, String help, String code) {
        return Counter.builder(name).description(help).tag("code", code).register(registry);
    }

    @Override
    AdminHandler newHandler() {
        return new Handler();
    }

    @Override
    String serves() {
        return "/healthz and /livez";
    }

    private final class Handler extends AdminHandler {
        @Override
        Reply reply(String path) {
            return switch (path) {
                case "/livez" -> probe(false);
                case "/healthz" -> probe(true);
                default -> Reply.notFound();
            };
        }

        private Reply probe(boolean healthz) {
            Instant now = tracker.now();
            boolean healthy = tracker.healthy(timeout);
            boolean eligible = tracker.nodeEligible();
            boolean ok = healthy && (!healthz || eligible && !handingOver);
            Instant lastUpdated = tracker.lastUpdated();
            // kube-proxy reports "now" while healthy, for compatibility with its older releases.
            Instant shown = ok ? now : lastUpdated == null ? Json.GO_ZERO_TIME : lastUpdated;
            StringBuilder body = new StringBuilder(160)
                    .append("{\"lastUpdated\":").append(Json.goTime(shown))
                    .append(",\"currentTime\":").append(Json.goTime(now));
            if (healthz) {
                body.append(",\"nodeEligible\":").append(eligible);
            }
            body.append(",\"healthy\":").append(healthy).append('}');
            (healthz ? (ok ? healthz200 : healthz503) : (ok ? livez200 : livez503)).increment();
            return new Reply(ok ? HttpResponseStatus.OK : HttpResponseStatus.SERVICE_UNAVAILABLE,
                    "application/json", body.toString(), Map.of("X-Content-Type-Options", "nosniff"));
        }
    }
}
