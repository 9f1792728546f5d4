package dev.sluice.proxy.observe;

import io.netty.util.NetUtil;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;

/**
 * Parses kube-proxy style bind addresses without any name look-up: {@code IP:port},
 * {@code [IPv6]:port}, or a bare IP that takes the default port (kube-proxy appends the default
 * port the same way). Host names are refused: a look-up at start-up can hang on a node whose DNS
 * is the cluster DNS this proxy serves.
 */
public final class BindAddress {
    private BindAddress() {
    }

    /**
     * @param flag        the option name, for the error message
     * @param value       what the user gave
     * @param defaultPort the port when {@code value} has none
     * @throws IllegalArgumentException naming {@code flag} and {@code value}
     */
    public static InetSocketAddress parse(String flag, String value, int defaultPort) {
        String host = value;
        int port = defaultPort;
        if (value.startsWith("[")) {
            int close = value.indexOf(']');
            if (close < 0 || (close + 1 < value.length() && value.charAt(close + 1) != ':')) {
                throw invalid(flag, value);
            }
            host = value.substring(1, close);
            if (close + 1 < value.length()) {
                port = port(flag, value, value.substring(close + 2));
            }
        } else if (value.indexOf(':') == value.lastIndexOf(':') && value.indexOf(':') >= 0) {
            host = value.substring(0, value.indexOf(':'));
            port = port(flag, value, value.substring(value.indexOf(':') + 1));
        }
        byte[] bytes = NetUtil.createByteArrayFromIpAddressString(host);
        if (bytes == null) {
            throw invalid(flag, value);
        }
        try {
            return new InetSocketAddress(InetAddress.getByAddress(bytes), port);
        } catch (UnknownHostException e) {
            throw invalid(flag, value);
        }
    }

    private static int port(String flag, String value, String text) {
        try {
            int port = Integer.parseInt(text);
            if (port >= 0 && port <= 65535) {
                return port;
            }
        } catch (NumberFormatException e) {
            // reported below with the whole value
        }
        throw invalid(flag, value);
    }

    private static IllegalArgumentException invalid(String flag, String value) {
        return new IllegalArgumentException(flag + ": " + value
                + " (expected: an IP address with an optional port, like 0.0.0.0:10256 or [::]:10256)");
    }
}
