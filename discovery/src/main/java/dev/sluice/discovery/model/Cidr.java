package dev.sluice.discovery.model;

import java.net.InetAddress;
import java.util.Objects;

/**
 * An IP prefix such as {@code 198.18.0.0/15}. The network address is stored with its host bits
 * cleared, so equal prefixes compare equal.
 */
public record Cidr(InetAddress network, int prefixLength) {

    public Cidr {
        Objects.requireNonNull(network, "network");
        int max = network.getAddress().length * 8;
        if (prefixLength < 0 || prefixLength > max) {
            throw new IllegalArgumentException("prefix length: " + prefixLength + " (expected: 0.." + max + ")");
        }
        network = mask(network, prefixLength);
    }

    /**
     * Parses {@code ip/len}; a bare IP is a host prefix.
     *
     * @throws IllegalArgumentException naming the text when it is not a CIDR
     */
    public static Cidr parse(String text) {
        String trimmed = text == null ? "" : text.trim();
        int slash = trimmed.indexOf('/');
        InetAddress ip = Addresses.parseIp(slash < 0 ? trimmed : trimmed.substring(0, slash));
        int max = ip.getAddress().length * 8;
        if (slash < 0) {
            return new Cidr(ip, max);
        }
        try {
            return new Cidr(ip, Integer.parseInt(trimmed.substring(slash + 1)));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("cidr: \"" + text + "\" (expected: ip/prefix-length)");
        }
    }

    /** The family of this prefix. */
    public IpFamily family() {
        return IpFamily.of(network);
    }

    /** Whether the address lies in this prefix; addresses of the other family never do. */
    public boolean contains(InetAddress address) {
        byte[] a = address.getAddress();
        byte[] n = network.getAddress();
        if (a.length != n.length) {
            return false;
        }
        int full = prefixLength / 8;
        for (int i = 0; i < full; i++) {
            if (a[i] != n[i]) {
                return false;
            }
        }
        int rest = prefixLength % 8;
        if (rest == 0) {
            return true;
        }
        int maskByte = 0xff << (8 - rest) & 0xff;
        return (a[full] & maskByte) == (n[full] & maskByte);
    }

    private static InetAddress mask(InetAddress ip, int prefixLength) {
        byte[] bytes = ip.getAddress();
        for (int bit = prefixLength; bit < bytes.length * 8; bit++) {
            bytes[bit / 8] &= (byte) ~(0x80 >>> (bit % 8));
        }
        try {
            return InetAddress.getByAddress(bytes);
        } catch (java.net.UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public String toString() {
        return Addresses.format(network) + "/" + prefixLength;
    }
}
