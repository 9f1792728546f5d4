package dev.sluice.proxy.iface;

import dev.sluice.discovery.model.Addresses;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * One address as {@code ip -o addr show dev X} prints it.
 *
 * @param address      the local address
 * @param prefixLength its prefix length
 * @param label        the IPv4 label ({@code lo:sluice0}); empty for IPv6, which has none
 * @param metric       the address metric, -1 when none is printed
 */
record ListedAddress(InetAddress address, int prefixLength, String label, long metric) {

    /**
     * Parses the one-line-per-address output. Lines that are not {@code inet}/{@code inet6}
     * addresses are skipped; an address that is not an IP literal is an error naming the line.
     */
    static List<ListedAddress> parse(String output) {
        List<ListedAddress> result = new ArrayList<>();
        for (String line : output.split("\n")) {
            int continuation = line.indexOf('\\');
            String head = continuation < 0 ? line : line.substring(0, continuation);
            String[] tokens = head.trim().split("\\s+");
            int family = indexOfFamily(tokens);
            if (family < 0 || family + 1 >= tokens.length) {
                continue;
            }
            String cidr = tokens[family + 1];
            int slash = cidr.indexOf('/');
            InetAddress address = Addresses.parseIp(slash < 0 ? cidr : cidr.substring(0, slash));
            int prefixLength = slash < 0 ? address.getAddress().length * 8 : parsePrefix(cidr, line);
            long metric = -1;
            for (int i = family + 2; i < tokens.length - 1; i++) {
                if (tokens[i].equals("metric")) {
                    metric = parseMetric(tokens[i + 1], line);
                }
            }
            // iproute2 prints an IPv4 label last, after scope and flags.
            String label = tokens[family].equals("inet") ? tokens[tokens.length - 1] : "";
            result.add(new ListedAddress(address, prefixLength, label, metric));
        }
        return result;
    }

    private static int indexOfFamily(String[] tokens) {
        for (int i = 0; i < tokens.length; i++) {
            if (tokens[i].equals("inet") || tokens[i].equals("inet6")) {
                return i;
            }
        }
        return -1;
    }

    private static int parsePrefix(String cidr, String line) {
        try {
            return Integer.parseInt(cidr.substring(cidr.indexOf('/') + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("ip addr line: \"" + line + "\" (expected: address/prefix-length)");
        }
    }

    private static long parseMetric(String text, String line) {
        try {
            return Long.parseLong(text);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("ip addr line: \"" + line + "\" (expected: metric N)");
        }
    }
}
