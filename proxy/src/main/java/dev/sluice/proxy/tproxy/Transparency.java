package dev.sluice.proxy.tproxy;

import java.util.Locale;

/**
 * The two transparent-proxy choices of a running proxy, from {@code --capture} and
 * {@code --source-ip}.
 *
 * @param tproxyCapture {@code --capture tproxy}: nftables diverts every frontend's packets to one
 *                      transparent listener per protocol, instead of one bound socket per frontend
 * @param clientSource  {@code --source-ip client}: backend connections carry the client's address
 *                      where the reply is sure to come back through this node
 */
public record Transparency(boolean tproxyCapture, boolean clientSource) {

    /** {@code --capture bind --source-ip node}: ordinary sockets only, no kernel state. */
    public static final Transparency OFF = new Transparency(false, false);

    /** Reads the two flags; a bad value fails with {@code flag: value (expected: ...)}. */
    public static Transparency parse(String capture, String sourceIp) {
        boolean tproxy = switch (normal(capture)) {
            case "bind" -> false;
            case "tproxy" -> true;
            default -> throw new IllegalArgumentException("capture: " + capture + " (expected: bind or tproxy)");
        };
        boolean client = switch (normal(sourceIp)) {
            case "node" -> false;
            case "client" -> true;
            default -> throw new IllegalArgumentException("source-ip: " + sourceIp + " (expected: client or node)");
        };
        return new Transparency(tproxy, client);
    }

    private static String normal(String value) {
        return value == null ? "" : value.trim().toLowerCase(Locale.ROOT);
    }

    /** Whether any kernel state (nftables table, policy route) is needed. */
    public boolean needsKernelRules() {
        return tproxyCapture || clientSource;
    }

    /** How the flags read on the command line, for log lines and errors. */
    public String describe() {
        return "--capture " + (tproxyCapture ? "tproxy" : "bind") + " --source-ip " + (clientSource ? "client" : "node");
    }
}
