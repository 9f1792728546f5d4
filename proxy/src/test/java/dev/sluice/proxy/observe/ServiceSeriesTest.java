package dev.sluice.proxy.observe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.discovery.model.Balance;
import dev.sluice.discovery.model.Frontend;
import dev.sluice.discovery.model.FrontendType;
import dev.sluice.discovery.model.IpFamily;
import dev.sluice.discovery.model.Protocol;
import dev.sluice.discovery.model.ServiceEntry;
import dev.sluice.discovery.model.ServicePolicy;
import dev.sluice.discovery.model.ServicePortKey;
import dev.sluice.proxy.balance.Ejection;
import dev.sluice.proxy.forward.ServiceSlot;
import dev.sluice.proxy.forward.ServiceSlots;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The cardinality rule of per-service series, and what {@code /metrics} carries at scale. */
class ServiceSeriesTest {
    private static final ServicePolicy ANNOTATED =
            new ServicePolicy(false, false, null, List.of(), 0, Balance.ROUND_ROBIN, 0, true);
    private static final Pattern SERVICE_SERIES = Pattern.compile("(?m)^sluice_service_connections_accepted_total\\{");

    @Test
    void annotatedExportsOnlyTheServicesThatAskedAll() {
        ServiceSlots slots = slots(10, 3, 7);
        ServiceSeriesRule.Selection selection = ServiceSeriesRule.DEFAULT.select(slots.all());
        assertThat(selection.exported()).extracting(slot -> slot.key().name()).containsExactly("svc-00003", "svc-00007");
        assertThat(selection.omitted()).isZero();
    }

    @Test
    void allExportsEveryServicePortAndNoneNoServicePort() {
        ServiceSlots slots = slots(10, 3);
        assertThat(new ServiceSeriesRule(ServiceSeriesRule.Mode.ALL, 100).select(slots.all()).exported()).hasSize(10);
        assertThat(new ServiceSeriesRule(ServiceSeriesRule.Mode.NONE, 100).select(slots.all()).exported()).isEmpty();
    }

    /** Shows that the cap keeps the first ports in service-port order, whatever order they were added in, and counts the rest. */
    @Test
    void theCapKeepsTheFirstServicePortsInOrderAndCountsTheOmitted() {
        ServiceSlots slots = slots(500);
        ServiceSeriesRule.Selection selection = new ServiceSeriesRule(ServiceSeriesRule.Mode.ALL, 3).select(slots.all());
        assertThat(selection.exported()).extracting(slot -> slot.key().name())
                .containsExactly("svc-00000", "svc-00001", "svc-00002");
        assertThat(selection.omitted()).isEqualTo(497);
        assertThat(new ServiceSeriesRule(ServiceSeriesRule.Mode.ALL, 0).select(slots.all()).omitted()).isEqualTo(500);
    }

    @Test
    void aModeOrCapOutsideTheRuleIsRefusedNamingTheFlag() {
        assertThat(ServiceSeriesRule.of("ALL", 5)).isEqualTo(new ServiceSeriesRule(ServiceSeriesRule.Mode.ALL, 5));
        assertThatThrownBy(() -> ServiceSeriesRule.of("some", 5))
                .hasMessage("service-metrics: some (expected: none, annotated or all)");
        assertThatThrownBy(() -> ServiceSeriesRule.of("all", -1))
                .hasMessage("service-metrics-max: -1 (expected: 0 or more)");
    }

    /**
     * Shows that at 50,000 service ports {@code /metrics} holds totals and no per-service series by
     * default, stays under 256 KiB, and that no Micrometer meter exists per service port.
     */
    @Test
    void fiftyThousandServicePortsScrapeSmallByDefault() {
        ServiceSlots slots = slots(50_000, 17, 49_999);
        try (Metrics metrics = new Metrics(() -> 1L)) {
            int metersBefore = metrics.registry().getMeters().size();
            metrics.export(new ServiceSeries(slots, ServiceSeriesRule.DEFAULT));
            String text = metrics.scrape();

            assertThat(metrics.registry().getMeters()).hasSize(metersBefore);
            assertThat(text.getBytes(StandardCharsets.UTF_8).length).isLessThan(256 * 1024);
            assertThat(text).contains("sluice_service_ports 50000.0\n", "sluice_connections_accepted_total 0.0\n",
                    "sluice_connections_refused_total{reason=\"limit\"} 0.0\n",
                    "sluice_bytes_total{direction=\"to_client\"} 0.0\n", "sluice_service_metrics_exported 2.0\n");
            assertThat(SERVICE_SERIES.matcher(text).results().count()).isEqualTo(2);
            assertThat(text).contains("sluice_service_connections_accepted_total{family=\"IPv4\",port=\"\","
                    + "protocol=\"TCP\",service=\"svc-17\"} 0.0\n".replace("svc-17", "svc-00017"));
        }
    }

    @Test
    void allAtFiftyThousandIsCappedAndSaysHowManyWereLeftOut() {
        ServiceSlots slots = slots(50_000);
        try (Metrics metrics = new Metrics(() -> 1L)) {
            metrics.export(new ServiceSeries(slots, new ServiceSeriesRule(ServiceSeriesRule.Mode.ALL, 100)));
            String text = metrics.scrape();
            assertThat(SERVICE_SERIES.matcher(text).results().count()).isEqualTo(100);
            assertThat(text).contains("sluice_service_metrics_omitted 49900.0\n");
            assertThat(text.getBytes(StandardCharsets.UTF_8).length).isLessThan(256 * 1024);
        }
    }

    /** {@code count} standalone TCP service ports named svc-00000...; those at {@code annotated} ask for series. */
    private static ServiceSlots slots(int count, int... annotated) {
        ServiceSlots slots = new ServiceSlots();
        List<Frontend> frontends = List.of(new Frontend(FrontendType.LISTEN, InetAddress.getLoopbackAddress(), 8080));
        // Added last to first: the cap's order must come from the keys, not from the order of arrival.
        for (int i = count - 1; i >= 0; i--) {
            boolean asks = false;
            for (int a : annotated) {
                asks |= a == i;
            }
            ServicePortKey key = new ServicePortKey("", String.format("svc-%05d", i), "", Protocol.TCP, IpFamily.IPv4);
            slots.put(new ServiceSlot(ServiceEntry.standalone(key, frontends, List.of(), asks ? ANNOTATED
                    : ServicePolicy.DEFAULT), Ejection.DEFAULT));
        }
        return slots;
    }
}
