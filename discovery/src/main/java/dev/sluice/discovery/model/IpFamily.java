package dev.sluice.discovery.model;

import java.net.Inet6Address;
import java.net.InetAddress;

/** An IP family, named as Kubernetes names it ({@code IPv4}, {@code IPv6}). */
public enum IpFamily {
    IPv4,
    IPv6;

    /** The family of an address. */
    public static IpFamily of(InetAddress address) {
        return address instanceof Inet6Address ? IPv6 : IPv4;
    }
}
