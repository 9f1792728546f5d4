package dev.sluice.proxy.iface;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A network namespace a test creates and deletes, named {@code sluice-t-<random>} so that
 * parallel runs never collide and cleanup removes exactly what the test made. Every command
 * against it runs through {@code ip netns exec}, so a test never touches the host's interfaces.
 */
public final class NetworkNamespace implements AutoCloseable {
    private static final IpCommand HOST = IpCommand.system();

    private final String name;

    private NetworkNamespace(String name) {
        this.name = name;
    }

    /** Why namespaces cannot be used here, or {@code null} when they can. */
    public static String unavailableReason() {
        if (!isRoot()) {
            return "needs root to create network namespaces";
        }
        String probe = "sluice-t-probe-" + suffix();
        IpCommand.Result added;
        try {
            added = HOST.run(List.of("netns", "add", probe));
        } catch (RuntimeException e) {
            return "cannot run ip: " + e.getMessage();
        }
        if (!added.ok()) {
            return "ip netns add failed: " + added.stderr().trim();
        }
        HOST.run(List.of("netns", "del", probe));
        return null;
    }

    private static boolean isRoot() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("Uid:")) {
                    return line.split("\\s+")[2].equals("0");
                }
            }
        } catch (IOException e) {
            return false;
        }
        return false;
    }

    /** A fresh random suffix for namespace and interface names. */
    public static String suffix() {
        return Integer.toHexString(ThreadLocalRandom.current().nextInt(0x100000, 0xFFFFFF));
    }

    /** Creates {@code sluice-t-<role>-<random>} with {@code lo} up. */
    public static NetworkNamespace create(String role) {
        return create("sluice-t", role);
    }

    /** Creates {@code <prefix>-<role>-<random>} with {@code lo} up, for a test class that keeps its own names. */
    public static NetworkNamespace create(String prefix, String role) {
        NetworkNamespace ns = new NetworkNamespace(prefix + "-" + role + "-" + suffix());
        checked(HOST.run(List.of("netns", "add", ns.name)), "ip netns add " + ns.name);
        try {
            ns.ip("link", "set", "lo", "up");
        } catch (RuntimeException e) {
            ns.close();
            throw e;
        }
        return ns;
    }

    public String name() {
        return name;
    }

    /** {@code ip} inside this namespace. */
    public IpCommand ipCommand() {
        return IpCommand.withPrefix(List.of("ip", "netns", "exec", name, "ip"));
    }

    /** {@code ip} inside this namespace, run without CAP_NET_ADMIN: the kernel refuses every change. */
    public IpCommand ipCommandWithoutNetAdmin() {
        return IpCommand.withPrefix(List.of("ip", "netns", "exec", name,
                "setpriv", "--bounding-set=-net_admin", "--inh-caps=-net_admin", "ip"));
    }

    /** Runs {@code ip args} in this namespace and returns standard output; fails on a non-zero exit. */
    public String ip(String... args) {
        return checked(ipCommand().run(List.of(args)), "ip " + String.join(" ", args)).stdout();
    }

    /** Runs any program inside this namespace, e.g. {@code sysctl}; fails on a non-zero exit. */
    public String exec(String... command) {
        List<String> args = new ArrayList<>(List.of("netns", "exec", name));
        args.addAll(List.of(command));
        return checked(HOST.run(args), String.join(" ", command)).stdout();
    }

    private static IpCommand.Result checked(IpCommand.Result result, String what) {
        if (!result.ok()) {
            throw new IllegalStateException(what + " failed: " + result.stderr().trim());
        }
        return result;
    }

    /** Deletes the namespace and with it every interface inside. */
    @Override
    public void close() {
        HOST.run(List.of("netns", "del", name));
    }

    @Override
    public String toString() {
        return name;
    }
}
