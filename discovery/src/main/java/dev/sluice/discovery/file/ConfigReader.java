package dev.sluice.discovery.file;

import dev.sluice.discovery.file.YamlNode.Field;
import dev.sluice.discovery.file.YamlNode.Kind;
import dev.sluice.discovery.file.YamlNode.Mapping;
import dev.sluice.discovery.file.YamlNode.Position;
import dev.sluice.discovery.file.YamlNode.Scalar;
import dev.sluice.discovery.file.YamlNode.Sequence;
import dev.sluice.discovery.model.Addresses;
import dev.sluice.discovery.model.Backend;
import dev.sluice.discovery.model.Balance;
import dev.sluice.discovery.model.ProxyProtocol;
import dev.sluice.discovery.model.SourceIp;
import dev.sluice.discovery.model.Cidr;
import dev.sluice.discovery.model.Frontend;
import dev.sluice.discovery.model.FrontendType;
import dev.sluice.discovery.model.IpFamily;
import dev.sluice.discovery.model.Protocol;
import dev.sluice.discovery.model.ServiceEntry;
import dev.sluice.discovery.model.ServicePolicy;
import dev.sluice.discovery.model.ServicePortKey;
import dev.sluice.discovery.model.SessionAffinity;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Turns a parsed config document into a {@link StaticConfig}, stopping at the first problem with
 * a {@link ConfigException} that points at the line, column and field path. One reader checks one
 * document: it remembers names and listen addresses to find duplicates across services.
 */
final class ConfigReader {
    private static final List<String> TOP_KEYS = List.of("services", "settings");
    private static final List<String> SERVICE_KEYS = List.of("name", "listen", "backends", "protocol", "balance",
            "maxConnections", "sessionAffinity", "sourceRanges", "metrics", "sourceIp", "proxyProtocol");
    private static final List<String> AFFINITY_KEYS = List.of("timeoutSeconds");
    /** Service names appear in logs, metric labels and table keys: keep them plain. */
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,252}");
    private static final String LISTEN = "ip:port, [ipv6]:port or *:port";
    private static final String BACKEND = "ip:port or [ipv6]:port";

    private final String source;
    private final Map<String, String> names = new HashMap<>();
    private final ListenClaims claims = new ListenClaims();

    private ConfigReader(String source) {
        this.source = source;
    }

    /** Reads a document parsed from {@code source}; {@code root} is null for an empty file. */
    static StaticConfig read(String source, YamlNode root) {
        return new ConfigReader(source).document(root);
    }

    private StaticConfig document(YamlNode root) {
        String shape = "a mapping with the keys services and settings";
        if (root == null) {
            throw problem(new Position(1, 1), "document", "empty", shape, "missing-field");
        }
        Mapping top = mapping(root, "document", shape);
        checkKeys(top, "", TOP_KEYS);
        Sequence services = sequence(required(top, "", "services", "a list of services, [] for none"),
                "services", "a list of services, [] for none");
        List<ServiceEntry> entries = new ArrayList<>();
        for (int i = 0; i < services.items().size(); i++) {
            entries.add(service(services.items().get(i), "services[" + i + "]"));
        }
        Field settings = top.fields().get("settings");
        return new StaticConfig(entries, settings == null ? Map.of() : settings(settings.value()));
    }

    private ServiceEntry service(YamlNode node, String path) {
        Mapping service = mapping(node, path, "a mapping with at least name and listen");
        checkKeys(service, path, SERVICE_KEYS);
        String name = name(required(service, path, "name", "a service name"), path + ".name");
        Protocol protocol = service.fields().containsKey("protocol")
                ? protocol(service.fields().get("protocol").value(), path + ".protocol") : Protocol.TCP;
        List<InetSocketAddress> listens = listens(required(service, path, "listen", LISTEN), path + ".listen", protocol);
        List<Backend> backends = service.fields().containsKey("backends")
                ? backends(service.fields().get("backends").value(), path + ".backends") : List.of();
        ServicePolicy policy = policy(service, path);
        List<Frontend> frontends = new ArrayList<>();
        for (InetSocketAddress listen : listens) {
            frontends.add(new Frontend(FrontendType.LISTEN, listen.getAddress(), listen.getPort()));
        }
        Collections.sort(frontends);
        ServicePortKey key = new ServicePortKey("", name, "", protocol, IpFamily.of(listens.get(0).getAddress()));
        return ServiceEntry.standalone(key, frontends, backends, policy);
    }

    private ServicePolicy policy(Mapping service, String path) {
        YamlNode affinity = optional(service, "sessionAffinity");
        YamlNode ranges = optional(service, "sourceRanges");
        YamlNode balance = optional(service, "balance");
        YamlNode maxConnections = optional(service, "maxConnections");
        YamlNode metrics = optional(service, "metrics");
        YamlNode sourceIp = optional(service, "sourceIp");
        YamlNode proxyProtocol = optional(service, "proxyProtocol");
        return new ServicePolicy(false, false,
                affinity == null ? null : affinity(affinity, path + ".sessionAffinity"),
                ranges == null ? List.of() : sourceRanges(ranges, path + ".sourceRanges"),
                0,
                balance == null ? Balance.ROUND_ROBIN : balance(balance, path + ".balance"),
                maxConnections == null ? 0 : integer(maxConnections, path + ".maxConnections", 0, Integer.MAX_VALUE),
                metrics != null && bool(metrics, path + ".metrics"),
                sourceIp == null ? SourceIp.DEFAULT : sourceIp(sourceIp, path + ".sourceIp"),
                proxyProtocol == null ? ProxyProtocol.NONE : proxyProtocol(proxyProtocol, path + ".proxyProtocol"));
    }

    private SourceIp sourceIp(YamlNode node, String path) {
        String value = token(node, path, "client or node");
        if (value.equals("client")) {
            return SourceIp.CLIENT;
        } else if (value.equals("node")) {
            return SourceIp.NODE;
        }
        throw problem(node, path, "client or node", "invalid-value");
    }

    private ProxyProtocol proxyProtocol(YamlNode node, String path) {
        String value = token(node, path, "v1, v2 or none");
        return switch (value) {
            case "v1" -> ProxyProtocol.V1;
            case "v2" -> ProxyProtocol.V2;
            case "none" -> ProxyProtocol.NONE;
            default -> throw problem(node, path, "v1, v2 or none", "invalid-value");
        };
    }

    private String name(YamlNode node, String path) {
        String expected = "letters, digits, '.', '_' or '-', starting with a letter or digit, at most 253";
        Scalar name = string(node, path, expected);
        if (!NAME.matcher(name.text()).matches()) {
            throw problem(name, path, expected, "invalid-name");
        }
        String earlier = names.putIfAbsent(name.text(), path);
        if (earlier != null) {
            throw problem(name, path, "a name no other service has; " + earlier + " has it", "duplicate-name");
        }
        return name.text();
    }

    private List<InetSocketAddress> listens(YamlNode node, String path, Protocol protocol) {
        List<YamlNode> items = oneOrMany(node, path, LISTEN);
        if (items.isEmpty()) {
            throw problem(node, path, "at least one " + LISTEN, "missing-field");
        }
        List<InetSocketAddress> listens = new ArrayList<>();
        for (int i = 0; i < items.size(); i++) {
            String itemPath = node instanceof Sequence ? path + "[" + i + "]" : path;
            InetSocketAddress address = socketAddress(items.get(i), itemPath, true);
            String earlier = claims.claim(protocol, address, itemPath);
            if (earlier != null) {
                throw problem(items.get(i), itemPath, "an address no other listen uses; " + earlier + " has it",
                        "duplicate-listen");
            }
            listens.add(address);
        }
        return listens;
    }

    private List<Backend> backends(YamlNode node, String path) {
        List<YamlNode> items = oneOrMany(node, path, BACKEND);
        Set<InetSocketAddress> seen = new HashSet<>();
        List<Backend> backends = new ArrayList<>();
        for (int i = 0; i < items.size(); i++) {
            String itemPath = node instanceof Sequence ? path + "[" + i + "]" : path;
            InetSocketAddress address = socketAddress(items.get(i), itemPath, false);
            if (!seen.add(address)) {
                throw problem(items.get(i), itemPath, "each backend once", "duplicate-backend");
            }
            backends.add(new Backend(address));
        }
        Collections.sort(backends);
        return backends;
    }

    private InetSocketAddress socketAddress(YamlNode node, String path, boolean listen) {
        String shape = listen ? LISTEN : BACKEND;
        Scalar scalar = string(node, path, shape);
        String text = scalar.text().trim();
        int colon = text.lastIndexOf(':');
        if (colon < 0) {
            throw problem(scalar, path, shape, "invalid-address");
        }
        if (text.lastIndexOf(']') > colon) {
            throw problem(scalar, path, "ip:port with port 1..65535", "invalid-port");
        }
        String host = text.substring(0, colon);
        InetAddress ip;
        if (listen && (host.isEmpty() || host.equals("*"))) {
            ip = Addresses.parseIp("0.0.0.0");
        } else {
            boolean bracketed = host.startsWith("[") && host.endsWith("]") && host.indexOf(':') > 0;
            if (!bracketed && host.indexOf(':') >= 0) {
                throw problem(scalar, path, shape + ", with an IPv6 address in brackets", "invalid-address");
            }
            try {
                ip = Addresses.parseIp(bracketed ? host.substring(1, host.length() - 1) : host);
            } catch (IllegalArgumentException e) {
                throw problem(scalar, path, shape + ", with an IP literal (no host names)", "invalid-address");
            }
        }
        if (!listen && (ip.isAnyLocalAddress() || ip.isMulticastAddress())) {
            throw problem(scalar, path, shape + ", with a unicast address", "invalid-address");
        }
        String port = text.substring(colon + 1);
        if (port.isEmpty() || port.length() > 5 || !port.chars().allMatch(c -> c >= '0' && c <= '9')
                || Integer.parseInt(port) < 1 || Integer.parseInt(port) > 65535) {
            throw problem(scalar, path, "ip:port with port 1..65535", "invalid-port");
        }
        return new InetSocketAddress(ip, Integer.parseInt(port));
    }

    private Protocol protocol(YamlNode node, String path) {
        String value = token(node, path, "TCP or UDP");
        if (value.equals("tcp")) {
            return Protocol.TCP;
        } else if (value.equals("udp")) {
            return Protocol.UDP;
        }
        throw problem(node, path, "TCP or UDP", "invalid-value");
    }

    private Balance balance(YamlNode node, String path) {
        String expected = "round-robin or least-connections (HAProxy's roundrobin and leastconn also work)";
        String value = token(node, path, expected);
        if (value.equals("roundrobin")) {
            return Balance.ROUND_ROBIN;
        } else if (value.equals("leastconnections") || value.equals("leastconn")) {
            return Balance.LEAST_CONNECTIONS;
        }
        throw problem(node, path, expected, "invalid-value");
    }

    private SessionAffinity affinity(YamlNode node, String path) {
        Mapping affinity = mapping(node, path, "a mapping such as {timeoutSeconds: 10800}, or {} for the default");
        checkKeys(affinity, path, AFFINITY_KEYS);
        YamlNode timeout = optional(affinity, "timeoutSeconds");
        return new SessionAffinity(timeout == null ? SessionAffinity.DEFAULT_TIMEOUT_SECONDS
                : integer(timeout, path + ".timeoutSeconds", 1, SessionAffinity.MAX_TIMEOUT_SECONDS));
    }

    private List<Cidr> sourceRanges(YamlNode node, String path) {
        String expected = "a CIDR such as 198.18.0.0/15 or 2001:db8::/32";
        List<YamlNode> items = oneOrMany(node, path, expected);
        List<Cidr> ranges = new ArrayList<>();
        for (int i = 0; i < items.size(); i++) {
            String itemPath = node instanceof Sequence ? path + "[" + i + "]" : path;
            Scalar scalar = string(items.get(i), itemPath, expected);
            try {
                ranges.add(Cidr.parse(scalar.text()));
            } catch (IllegalArgumentException e) {
                throw problem(scalar, itemPath, expected, "invalid-cidr");
            }
        }
        return ranges;
    }

    private Map<String, String> settings(YamlNode node) {
        if (node instanceof Scalar scalar && scalar.kind() == Kind.NULL) {
            return Map.of();
        }
        Mapping settings = mapping(node, "settings", "a mapping of option name to value");
        Map<String, String> values = new LinkedHashMap<>();
        for (Field field : settings.fields().values()) {
            String path = "settings." + field.key();
            String expected = "a single value; write several values comma-separated";
            if (!(field.value() instanceof Scalar scalar) || scalar.kind() == Kind.NULL) {
                throw problem(field.value(), path, expected, "wrong-type");
            }
            values.put(field.key(), scalar.text());
        }
        return Collections.unmodifiableMap(values);
    }

    private boolean bool(YamlNode node, String path) {
        if (!(node instanceof Scalar scalar) || scalar.kind() != Kind.BOOLEAN) {
            throw problem(node, path, "true or false", "wrong-type");
        }
        return Boolean.parseBoolean(scalar.text());
    }

    private int integer(YamlNode node, String path, int min, int max) {
        String expected = "an integer " + min + ".." + max;
        if (!(node instanceof Scalar scalar) || scalar.kind() != Kind.INTEGER) {
            throw problem(node, path, expected, "wrong-type");
        }
        BigInteger value;
        try {
            value = new BigInteger(scalar.text());
        } catch (NumberFormatException e) {
            throw problem(node, path, expected, "wrong-type");
        }
        if (value.compareTo(BigInteger.valueOf(min)) < 0 || value.compareTo(BigInteger.valueOf(max)) > 0) {
            throw problem(node, path, expected, "invalid-value");
        }
        return value.intValue();
    }

    /** An enum-like word, lower case, with '-' and '_' dropped so that both spellings work. */
    private String token(YamlNode node, String path, String expected) {
        return string(node, path, expected).text().toLowerCase(Locale.ROOT).replace("-", "").replace("_", "");
    }

    private Scalar string(YamlNode node, String path, String expected) {
        if (!(node instanceof Scalar scalar) || scalar.kind() != Kind.STRING) {
            throw problem(node, path, expected, "wrong-type");
        }
        return scalar;
    }

    /** A list, or a single value standing for a list of one. */
    private List<YamlNode> oneOrMany(YamlNode node, String path, String expected) {
        if (node instanceof Sequence sequence) {
            return sequence.items();
        }
        return List.of(string(node, path, expected + ", or a list of them"));
    }

    private Mapping mapping(YamlNode node, String path, String expected) {
        if (!(node instanceof Mapping mapping)) {
            throw problem(node, path, expected, "wrong-type");
        }
        return mapping;
    }

    private Sequence sequence(YamlNode node, String path, String expected) {
        if (!(node instanceof Sequence sequence)) {
            throw problem(node, path, expected, "wrong-type");
        }
        return sequence;
    }

    private YamlNode required(Mapping mapping, String path, String key, String expected) {
        Field field = mapping.fields().get(key);
        if (field == null) {
            throw problem(mapping.at(), path.isEmpty() ? key : path + "." + key, "missing", expected, "missing-field");
        }
        return field.value();
    }

    private static YamlNode optional(Mapping mapping, String key) {
        Field field = mapping.fields().get(key);
        return field == null ? null : field.value();
    }

    private void checkKeys(Mapping mapping, String path, List<String> known) {
        for (Field field : mapping.fields().values()) {
            if (!known.contains(field.key())) {
                String suggestion = Suggestions.closest(field.key(), known);
                throw problem(field.keyAt(), path.isEmpty() ? field.key() : path + "." + field.key(), "unknown key",
                        "one of " + String.join(", ", known)
                                + (suggestion == null ? "" : "; did you mean " + suggestion + "?"),
                        "unknown-key");
            }
        }
    }

    private ConfigException problem(YamlNode node, String path, String expected, String reason) {
        return problem(node.at(), path, node.describe(), expected, reason);
    }

    private ConfigException problem(Position at, String path, String value, String expected, String reason) {
        return new ConfigException(source, at.line(), at.column(), path, value + " (expected: " + expected + ")", reason);
    }
}
