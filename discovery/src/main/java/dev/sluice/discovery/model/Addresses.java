package dev.sluice.discovery.model;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
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

    /**
     * The address as an IP literal, without brackets: an IPv4 dotted quad, or an IPv6 address in
     * the RFC 5952 form ({@code fd00::6}, never {@code fd00:0:0:0:0:0:0:6}), followed by
     * {@code %zone} when it has a scope. Every address a person reads (explain, status, logs,
     * metric labels) is printed by this method or {@link #format(InetSocketAddress)}.
     */
    public static String format(InetAddress address) {
        if (!(address instanceof Inet6Address v6)) {
            return address.getHostAddress();
        }
        String text = compact(v6.getAddress());
        String host = v6.getHostAddress();
        int zone = host.indexOf('%');
        return zone < 0 ? text : text + host.substring(zone);
    }

    /** {@code ip:port}, with brackets around an IPv6 address: {@code [fd00::6]:80}. */
    public static String format(InetAddress ip, int port) {
        String host = format(ip);
        return (ip instanceof Inet6Address ? "[" + host + "]" : host) + ":" + port;
    }

    /**
     * {@code ip:port} as {@link #format(InetAddress, int)} prints it; the host name and port of
     * an unresolved address, without a look-up.
     */
    public static String format(InetSocketAddress address) {
        InetAddress ip = address.getAddress();
        return ip == null ? address.getHostString() + ":" + address.getPort() : format(ip, address.getPort());
    }

    /**
     * Any socket address as {@link #format(InetSocketAddress)} prints an IP one: for log lines
     * about channels, whose addresses are typed {@link SocketAddress}. {@code null} (a channel
     * that never connected) is {@code "unknown"}; other kinds print their own text.
     */
    public static String format(SocketAddress address) {
        if (address instanceof InetSocketAddress ip) {
            return format(ip);
        }
        return address == null ? "unknown" : address.toString();
    }

    /**
     * RFC 5952 section 4: lower-case hex without leading zeros; the longest run of two or more
     * zero groups (the first of equal runs) written as {@code ::}; a lone zero group stays.
     */
    private static String compact(byte[] bytes) {
        int[] groups = new int[8];
        for (int i = 0; i < 8; i++) {
            groups[i] = (bytes[2 * i] & 0xFF) << 8 | bytes[2 * i + 1] & 0xFF;
        }
        int bestStart = -1;
        int bestLength = 1;
        for (int i = 0; i < 8; i++) {
            int length = 0;
            while (i + length < 8 && groups[i + length] == 0) {
                length++;
            }
            if (length > bestLength) {
                bestStart = i;
                bestLength = length;
            }
            i += length;
        }
        StringBuilder out = new StringBuilder(39);
        for (int i = 0; i < 8; i++) {
            if (i == bestStart) {
                out.append("::");
                i += bestLength - 1;
                continue;
            }
            if (out.length() > 0 && out.charAt(out.length() - 1) != ':') {
                out.append(':');
            }
            out.append(Integer.toHexString(groups[i]));
        }
        return out.toString();
    }

    private static IllegalArgumentException notAnIp(String text) {
        return new IllegalArgumentException("address: \"" + text + "\" (expected: an IPv4 or IPv6 literal)");
    }
}
