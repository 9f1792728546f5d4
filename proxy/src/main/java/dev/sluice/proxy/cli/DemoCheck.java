package dev.sluice.proxy.cli;

import dev.sluice.discovery.model.Addresses;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code sluice demo --check}: new connections through the demo's service until every backend
 * has answered, or a bounded number of tries. A self-test of the whole data path on this machine
 * (the build also runs it once to record which classes a run loads, see {@code bin/sluice}).
 */
final class DemoCheck {
    private static final Pattern ANSWER = Pattern.compile("Hello from (backend-\\d+)");
    private static final int TIMEOUT_MILLIS = 5_000;

    private DemoCheck() {
    }

    /** A loopback port nothing listens on now, for a check that must not collide with a running demo. */
    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    /**
     * Sends up to {@code 4 x backends} requests to {@code service}, one connection each, and
     * reports which backends answered.
     *
     * @return whether all {@code backends} answered
     */
    static boolean run(InetSocketAddress service, int backends, PrintWriter out) {
        Set<String> answered = new TreeSet<>();
        String lastError = null;
        for (int i = 0; i < 4 * backends && answered.size() < backends; i++) {
            try {
                answered.add(ask(service));
            } catch (IOException e) {
                lastError = e.toString();
            }
        }
        boolean ok = answered.size() == backends;
        out.println("demo check: " + answered.size() + " of " + backends + " backends answered through "
                + Addresses.format(service) + " " + answered
                + (ok || lastError == null ? "" : "; last error: " + lastError));
        out.flush();
        return ok;
    }

    private static String ask(InetSocketAddress service) throws IOException {
        try (Socket socket = new Socket()) {
            socket.connect(service, TIMEOUT_MILLIS);
            socket.setSoTimeout(TIMEOUT_MILLIS);
            socket.getOutputStream().write("GET / HTTP/1.0\r\nHost: demo\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            InputStream in = socket.getInputStream();
            String reply = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            Matcher answer = ANSWER.matcher(reply);
            if (!answer.find()) {
                throw new IOException("unexpected reply: " + reply.lines().findFirst().orElse("(empty)"));
            }
            return answer.group(1);
        }
    }
}
