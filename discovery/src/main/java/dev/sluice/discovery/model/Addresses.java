package dev.sluice.discovery.model;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;

/**
 * IP literals in and out. Parsing never consults DNS: object contents and config files are not
 * trusted to name hosts.
 */
public final class Addresses {
    private Addresses() {
    }

    /**
     * Parses an IPv4 dotted quad or an IPv6 literal (without brackets).
     *
     * @throws IllegalArgumentException naming the text when it is not an IP literal
     */
    public static InetAddress parseIp(String text) {
        if (text == null || text.isEmpty()) {
            throw new IllegalArgumentException("address: \"\" (expected: an IPv4 or IPv6 literal)");
        }
        if (text.indexOf(':') >= 0) {
            try {
                // A string with a colon is only ever parsed as an IPv6 literal, never looked up.
                return InetAddress.getByName(text);
            } catch (UnknownHostException | SecurityException e) {
                throw notAnIp(text);
            }
        }
        return parseIpv4(text);
    }

    private static InetAddress parseIpv4(String text) {
        byte[] bytes = new byte[4];
        int part = 0;
        int value = -1;
        for (int i = 0; i <= text.length(); i++) {
            char c = i < text.length() ? text.charAt(i) : '.';
            if (c == '.') {
                if (value < 0 || part > 3) {
                    throw notAnIp(text);
                }
                bytes[part++] = (byte) value;
                value = -1;
            } else if (c >= '0' && c <= '9') {
                value = value < 0 ? c - '0' : value * 10 + (c - '0');
                if (value > 255) {
                    throw notAnIp(text);
                }
            } else {
                throw notAnIp(text);
            }
        }
        if (part != 4) {
            throw notAnIp(text);
        }
        try {
            return InetAddress.getByAddress(bytes);
        } catch (UnknownHostException e) {
            throw notAnIp(text);
        }
    }

    /**
     * Parses {@code ip:port} or {@code [ipv6]:port}.
     *
     * @throws IllegalArgumentException naming the text when it is not of that shape
     */
    public static InetSocketAddress parseSocketAddress(String text) {
        if (text == null) {
            throw new IllegalArgumentException("address: null (expected: ip:port)");
        }
        int colon = text.lastIndexOf(':');
        if (colon <= 0 || colon == text.length() - 1) {
            throw new IllegalArgumentException("address: \"" + text + "\" (expected: ip:port or [ipv6]:port)");
        }
        String host = text.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        } else if (host.indexOf(':') >= 0) {
            throw new IllegalArgumentException("address: \"" + text + "\" (expected: an IPv6 address in brackets, [ipv6]:port)");
        }
        int port;
        try {
            port = Integer.parseInt(text.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("port: \"" + text.substring(colon + 1) + "\" in \"" + text + "\" (expected: 1..65535)");
        }
        Ports.check("port", port);
        return new InetSocketAddress(parseIp(host), port);
    }

    /** The address as an IP literal, without brackets. */
    public static String format(InetAddress address) {
        return address.getHostAddress();
    }

    /** {@code ip:port}, with brackets around an IPv6 address. */
    public static String format(InetSocketAddress address) {
        InetAddress ip = address.getAddress();
        String host = ip == null ? address.getHostString() : ip.getHostAddress();
        return (ip instanceof Inet6Address ? "[" + host + "]" : host) + ":" + address.getPort();
    }

    private static IllegalArgumentException notAnIp(String text) {
        return new IllegalArgumentException("address: \"" + text + "\" (expected: an IPv4 or IPv6 literal)");
    }
}
