package dev.sluice.discovery.model;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.discovery.file.StaticConfig;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** A whole new set of entries becomes a change of only the keys that differ, keeping unchanged instances. */
class TableChangeTest {

    @Test
    void towardsNamesOnlyDifferingKeysAndKeepsTheInstancesOfEqualEntries() {
        BackendTable table = BackendTable.of(1, services("""
                services:
                  - {name: a, listen: ["127.0.0.1:8001"], backends: ["127.0.0.1:9001"]}
                  - {name: b, listen: ["127.0.0.1:8002"], backends: ["127.0.0.1:9002"]}
                  - {name: c, listen: ["127.0.0.1:8003"], backends: ["127.0.0.1:9003"]}
                """));

        TableChange change = TableChange.towards(table, services("""
                services:
                  - {name: a, listen: ["127.0.0.1:8001"], backends: ["127.0.0.1:9001"]}
                  - {name: b, listen: ["127.0.0.1:8002"], backends: ["127.0.0.1:9012"]}
                  - {name: d, listen: ["127.0.0.1:8004"], backends: ["127.0.0.1:9004"]}
                """));

        assertThat(change.changed()).extracting(ServicePortKey::serviceName).containsExactlyInAnyOrder("b", "c", "d");
        assertThat(change.current().generation()).isEqualTo(2);
        assertThat(change.current().entries()).extracting(e -> e.key().serviceName())
                .containsExactlyInAnyOrder("a", "b", "d");
        ServicePortKey a = table.entries().stream().filter(e -> e.key().serviceName().equals("a")).findFirst()
                .orElseThrow().key();
        assertThat(change.current().get(a)).isSameAs(table.get(a));
    }

    private static java.util.List<ServiceEntry> services(String yaml) {
        return StaticConfig.parse("test.yaml", yaml.getBytes(StandardCharsets.UTF_8)).services();
    }
}
