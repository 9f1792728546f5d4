package dev.sluice.discovery.translate;

import dev.sluice.discovery.model.Addresses;
import dev.sluice.discovery.model.IpFamily;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/** Lenient IP reading for object contents: a bad value is reported, never thrown. */
final class Ips {
    private Ips() {
    }

    /**
     * The IP literal in the text, or {@code null} when it is not one. Zoned IPv6 addresses
     * ({@code fe80::1%eth0}) are refused: Kubernetes never writes them and the zone would name an
     * interface of the wrong host.
     */
    static InetAddress parse(String text) {
        if (text == null || text.isEmpty() || text.indexOf('%') >= 0) {
            return null;
        }
        try {
            return Addresses.parseIp(text.trim());
        } catch (RuntimeException e) {
            return null;
        }
    }

    /**
     * The valid IPs of a list, grouped by family in list order, without repeats; each invalid
     * one reports {@code invalid-address} against the Service.
     */
    static Map<IpFamily, List<InetAddress>> byFamily(List<String> texts, Skips skips) {
        Map<IpFamily, List<InetAddress>> result = new EnumMap<>(IpFamily.class);
        for (IpFamily family : IpFamily.values()) {
            result.put(family, new ArrayList<>());
        }
        if (texts == null) {
            return result;
        }
        for (String text : texts) {
            InetAddress ip = parse(text);
            if (ip == null) {
                skips.service("invalid-address");
                continue;
            }
            List<InetAddress> list = result.get(IpFamily.of(ip));
            if (!list.contains(ip)) {
                list.add(ip);
            }
        }
        return result;
    }
}
