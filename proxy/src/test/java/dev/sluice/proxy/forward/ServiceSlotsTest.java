package dev.sluice.proxy.forward;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.discovery.model.Frontend;
import dev.sluice.discovery.model.FrontendType;
import dev.sluice.discovery.model.IpFamily;
import dev.sluice.discovery.model.Protocol;
import dev.sluice.discovery.model.ServiceEntry;
import dev.sluice.discovery.model.ServicePolicy;
import dev.sluice.discovery.model.ServicePortKey;
import dev.sluice.proxy.balance.Ejection;
import java.net.InetAddress;
import java.util.List;
import org.junit.jupiter.api.Test;

class ServiceSlotsTest {

    /** Shows that the totals over all service ports keep what a removed port counted, so they never go down. */
    @Test
    void totalsKeepTheCountsOfRemovedServicePorts() {
        ServiceSlots slots = new ServiceSlots();
        ServiceSlot a = slot("a");
        ServiceSlot b = slot("b");
        slots.put(a);
        slots.put(b);
        a.counters().increment(ServiceCounters.ACCEPTED);
        b.counters().increment(ServiceCounters.ACCEPTED);
        b.counters().add(ServiceCounters.BYTES_TO_CLIENT, 1000);
        b.counters().refuse(Refusal.LIMIT);

        assertThat(slots.totals()[ServiceCounters.ACCEPTED]).isEqualTo(2);
        assertThat(slots.remove(b.key())).isSameAs(b);

        long[] totals = slots.totals();
        assertThat(totals[ServiceCounters.ACCEPTED]).isEqualTo(2);
        assertThat(totals[ServiceCounters.BYTES_TO_CLIENT]).isEqualTo(1000);
        assertThat(totals[ServiceCounters.refused(Refusal.LIMIT)]).isEqualTo(1);
        assertThat(slots.all()).containsExactly(a);
        assertThat(slots.remove(b.key())).isNull();
    }

    /** Shows that each count has its own index: a refusal reason never lands on another count. */
    @Test
    void everyCountHasItsOwnIndex() {
        ServiceCounters counters = new ServiceCounters();
        for (Refusal reason : Refusal.values()) {
            counters.refuse(reason);
        }
        long[] sum = new long[ServiceCounters.SIZE];
        counters.addTo(sum);
        assertThat(sum).containsExactly(0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1);
    }

    static ServiceSlot slot(String name) {
        ServicePortKey key = new ServicePortKey("", name, "", Protocol.TCP, IpFamily.IPv4);
        ServiceEntry entry = ServiceEntry.standalone(key,
                List.of(new Frontend(FrontendType.LISTEN, InetAddress.getLoopbackAddress(), 8080)), List.of(),
                ServicePolicy.DEFAULT);
        return new ServiceSlot(entry, Ejection.DEFAULT);
    }
}
