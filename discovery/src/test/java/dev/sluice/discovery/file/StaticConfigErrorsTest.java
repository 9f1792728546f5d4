package dev.sluice.discovery.file;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every kind of invalid file is refused whole, with a message of the form
 * {@code FILE:LINE:COL: field.path: value (expected: ...)} and a reason token for metrics.
 */
class StaticConfigErrorsTest {
    @TempDir
    Path dir;

    static Stream<Arguments> invalidFiles() {
        return Stream.of(
                invalid("port out of range", """
                        services:
                          - name: web
                            listen: ["127.0.0.1:8080"]
                          - name: api
                            listen: ["127.0.0.1:99999"]
                        """, "5:14: services[1].listen[0]: \"127.0.0.1:99999\" (expected: ip:port with port 1..65535)",
                        "invalid-port"),
                invalid("port zero", """
                        services:
                          - {name: web, listen: "127.0.0.1:8080", backends: ["127.0.0.1:0"]}
                        """, "2:54: services[0].backends[0]: \"127.0.0.1:0\" (expected: ip:port with port 1..65535)",
                        "invalid-port"),
                invalid("IPv6 listen without a port", """
                        services:
                          - {name: web, listen: "[::1]"}
                        """, "2:25: services[0].listen: \"[::1]\" (expected: ip:port with port 1..65535)",
                        "invalid-port"),
                invalid("host name instead of an IP", """
                        services:
                          - name: web
                            listen: "localhost:8080"
                        """, "3:13: services[0].listen: \"localhost:8080\" (expected: ip:port, [ipv6]:port or *:port,"
                                + " with an IP literal (no host names))", "invalid-address"),
                invalid("IPv6 without brackets", """
                        services:
                          - name: web
                            listen: ["127.0.0.1:8080"]
                            backends: ["2001:db8::1:80"]
                        """, "4:16: services[0].backends[0]: \"2001:db8::1:80\" (expected: ip:port or [ipv6]:port,"
                                + " with an IPv6 address in brackets)", "invalid-address"),
                invalid("wildcard backend", """
                        services:
                          - {name: web, listen: "127.0.0.1:8080", backends: "0.0.0.0:80"}
                        """, "2:53: services[0].backends: \"0.0.0.0:80\" (expected: ip:port or [ipv6]:port,"
                                + " with a unicast address)", "invalid-address"),
                invalid("duplicate name", """
                        services:
                          - {name: web, listen: "127.0.0.1:8080"}
                          - {name: web, listen: "127.0.0.1:8081"}
                        """, "3:12: services[1].name: \"web\" (expected: a name no other service has;"
                                + " services[0].name has it)", "duplicate-name"),
                invalid("duplicate listen within a service", """
                        services:
                          - name: web
                            listen: ["127.0.0.1:8080", "127.0.0.1:8080"]
                        """, "3:32: services[0].listen[1]: \"127.0.0.1:8080\" (expected: an address no other listen"
                                + " uses; services[0].listen[0] (TCP 127.0.0.1:8080) has it)", "duplicate-listen"),
                invalid("duplicate listen across services", """
                        services:
                          - {name: web, listen: "127.0.0.1:8080"}
                          - {name: api, listen: ["[::1]:8080", "127.0.0.1:8080"]}
                        """, "3:40: services[1].listen[1]: \"127.0.0.1:8080\" (expected: an address no other listen"
                                + " uses; services[0].listen (TCP 127.0.0.1:8080) has it)", "duplicate-listen"),
                invalid("wildcard overlapping a specific address", """
                        services:
                          - {name: web, listen: "127.0.0.1:8080"}
                          - {name: api, listen: "*:8080"}
                        """, "3:25: services[1].listen: \"*:8080\" (expected: an address no other listen"
                                + " uses; services[0].listen (TCP 127.0.0.1:8080) has it)", "duplicate-listen"),
                invalid("duplicate backend", """
                        services:
                          - {name: web, listen: "127.0.0.1:8080", backends: ["127.0.0.1:9001", "127.0.0.1:9001"]}
                        """, "2:72: services[0].backends[1]: \"127.0.0.1:9001\" (expected: each backend once)",
                        "duplicate-backend"),
                invalid("bad CIDR", """
                        services:
                          - name: web
                            listen: "127.0.0.1:8080"
                            sourceRanges: ["198.18.0.0/15", "198.18.0.0/33"]
                        """, "4:37: services[0].sourceRanges[1]: \"198.18.0.0/33\" (expected: a CIDR such as"
                                + " 198.18.0.0/15 or 2001:db8::/32)", "invalid-cidr"),
                invalid("unknown protocol", """
                        services:
                          - {name: web, listen: "127.0.0.1:8080", protocol: SCTP}
                        """, "2:53: services[0].protocol: \"SCTP\" (expected: TCP or UDP)", "invalid-value"),
                invalid("unknown balance", """
                        services:
                          - {name: web, listen: "127.0.0.1:8080", balance: random}
                        """, "2:52: services[0].balance: \"random\" (expected: round-robin or least-connections"
                                + " (HAProxy's roundrobin and leastconn also work))", "invalid-value"),
                invalid("affinity timeout too long", """
                        services:
                          - name: web
                            listen: "127.0.0.1:8080"
                            sessionAffinity: {timeoutSeconds: 86401}
                        """, "4:39: services[0].sessionAffinity.timeoutSeconds: 86401 (expected: an integer 1..86400)",
                        "invalid-value"),
                invalid("negative connection limit", """
                        services:
                          - {name: web, listen: "127.0.0.1:8080", maxConnections: -1}
                        """, "2:59: services[0].maxConnections: -1 (expected: an integer 0..2147483647)",
                        "invalid-value"),
                invalid("unknown source address", """
                        services:
                          - {name: web, listen: "127.0.0.1:8080", sourceIp: pod}
                        """, "2:53: services[0].sourceIp: \"pod\" (expected: client or node)", "invalid-value"),
                invalid("unknown PROXY protocol version", """
                        services:
                          - {name: web, listen: "127.0.0.1:8080", proxyProtocol: v3}
                        """, "2:58: services[0].proxyProtocol: \"v3\" (expected: v1, v2 or none)", "invalid-value"),
                invalid("quoted number", """
                        services:
                          - {name: web, listen: "127.0.0.1:8080", maxConnections: "10"}
                        """, "2:59: services[0].maxConnections: \"10\" (expected: an integer 0..2147483647)",
                        "wrong-type"),
                invalid("metrics as a string", """
                        services:
                          - {name: web, listen: "127.0.0.1:8080", metrics: "yes"}
                        """, "2:52: services[0].metrics: \"yes\" (expected: true or false)", "wrong-type"),
                invalid("port as a bare number", """
                        services:
                          - name: web
                            listen: 8080
                        """, "3:13: services[0].listen: 8080 (expected: ip:port, [ipv6]:port or *:port,"
                                + " or a list of them)", "wrong-type"),
                invalid("services as a mapping", """
                        services:
                          web: {listen: "127.0.0.1:8080"}
                        """, "2:3: services: a mapping (expected: a list of services, [] for none)", "wrong-type"),
                invalid("affinity left empty", """
                        services:
                          - name: web
                            listen: "127.0.0.1:8080"
                            sessionAffinity:
                        """, "4:21: services[0].sessionAffinity: null (expected: a mapping such as"
                                + " {timeoutSeconds: 10800}, or {} for the default)", "wrong-type"),
                invalid("setting given a list", """
                        services: []
                        settings:
                          nodeport-addresses: ["198.18.0.0/15"]
                        """, "3:23: settings.nodeport-addresses: a list (expected: a single value;"
                                + " write several values comma-separated)", "wrong-type"),
                invalid("unknown top-level key", """
                        services: []
                        defaults: {}
                        """, "2:1: defaults: unknown key (expected: one of services, settings)", "unknown-key"),
                invalid("misspelt service key", """
                        services:
                          - name: web
                            listn: "127.0.0.1:8080"
                        """, "3:5: services[0].listn: unknown key (expected: one of name, listen, backends, protocol,"
                                + " balance, maxConnections, sessionAffinity, sourceRanges, metrics, sourceIp, proxyProtocol;"
                                + " did you mean listen?)",
                        "unknown-key"),
                invalid("unknown affinity key", """
                        services:
                          - name: web
                            listen: "127.0.0.1:8080"
                            sessionAffinity: {timeout: 10}
                        """, "4:23: services[0].sessionAffinity.timeout: unknown key (expected: one of timeoutSeconds)",
                        "unknown-key"),
                invalid("key written twice", """
                        services:
                          - name: web
                            listen: "127.0.0.1:8080"
                            listen: "127.0.0.1:8081"
                        """, "4:5: services[0].listen: written twice (expected: each key once; first at line 3)",
                        "duplicate-key"),
                invalid("missing name", """
                        services:
                          - listen: "127.0.0.1:8080"
                        """, "2:5: services[0].name: missing (expected: a service name)", "missing-field"),
                invalid("missing listen", """
                        services:
                          - name: web
                            backends: ["127.0.0.1:9001"]
                        """, "2:5: services[0].listen: missing (expected: ip:port, [ipv6]:port or *:port)",
                        "missing-field"),
                invalid("empty listen list", """
                        services:
                          - {name: web, listen: []}
                        """, "2:25: services[0].listen: a list (expected: at least one ip:port, [ipv6]:port or"
                                + " *:port)", "missing-field"),
                invalid("missing services", """
                        settings: {metrics-bind-address: "127.0.0.1:10249"}
                        """, "1:1: services: missing (expected: a list of services, [] for none)", "missing-field"),
                invalid("empty file", "", "1:1: document: empty (expected: a mapping with the keys services and"
                        + " settings)", "missing-field"),
                invalid("name with a space", """
                        services:
                          - {name: "my web", listen: "127.0.0.1:8080"}
                        """, "2:12: services[0].name: \"my web\" (expected: letters, digits, '.', '_' or '-',"
                                + " starting with a letter or digit, at most 253)", "invalid-name"),
                invalid("two documents", """
                        services: []
                        ---
                        services: []
                        """, "3:1: document: a second document (expected: one YAML document per file)",
                        "parse-error"),
                invalid("two JSON documents, refused as YAML ones are", """
                        {"services": []}
                        ---
                        {"services": []}
                        """, "3:1: document: a second document (expected: one YAML document per file)",
                        "parse-error"));
    }

    private static Arguments invalid(String what, String yaml, String message, String reason) {
        return Arguments.of(what, yaml, message, reason);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("invalidFiles")
    void invalidFileIsRefusedNamingLineColumnAndField(String what, String yaml, String message, String reason)
            throws IOException {
        Path file = write(yaml);

        ConfigException e = catchThrowableOfType(ConfigException.class, () -> StaticConfig.load(file));

        assertThat(e).as(what).isNotNull();
        assertThat(e.getMessage()).isEqualTo(file + ":" + message);
        assertThat(e.reason()).isEqualTo(reason);
    }

    @Test
    void malformedYamlNamesTheLineWhereTheParserStopped() throws IOException {
        Path file = write("""
                services:
                  - name: web
                   listen: ["127.0.0.1:8080"]
                """);

        ConfigException e = catchThrowableOfType(ConfigException.class, () -> StaticConfig.load(file));

        assertThat(e.getMessage()).startsWith(file + ":3:4: document: ").endsWith("(expected: well-formed YAML)")
                .doesNotContain("\n");
        assertThat(e.reason()).isEqualTo("parse-error");
        assertThat(e.line()).isEqualTo(3);
        assertThat(e.field()).isEqualTo("document");
    }

    @Test
    void aliasIsRefusedRatherThanReadAsText() throws IOException {
        Path file = write("""
                services:
                  - {name: &n web, listen: "127.0.0.1:8080"}
                  - {name: api, listen: *n}
                """);

        ConfigException e = catchThrowableOfType(ConfigException.class, () -> StaticConfig.load(file));

        assertThat(e.getMessage()).isEqualTo(file + ":3:25: services[1].listen: *n (expected: a value written out;"
                + " aliases are not supported)");
    }

    @Test
    void missingFileIsAReadErrorNamingTheFile() {
        Path file = dir.resolve("absent.yaml");

        ConfigException e = catchThrowableOfType(ConfigException.class, () -> StaticConfig.load(file));

        assertThat(e).isInstanceOf(IllegalArgumentException.class);
        assertThat(e.getMessage()).startsWith(file + ": file: cannot read it: ")
                .endsWith("(expected: a readable YAML file)");
        assertThat(e.reason()).isEqualTo("read-error");
        assertThat(e.line()).isZero();
    }

    private Path write(String yaml) throws IOException {
        Path file = dir.resolve("sluice.yaml");
        Files.writeString(file, yaml);
        return file;
    }
}
