package dev.sluice.benchmarks.scale;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;

/**
 * The helpers {@code benchmarks/scale.sh} runs next to {@code bin/sluice}:
 * <ul>
 *   <li>{@code api PORT SERVICES ENDPOINTS}: the list/watch API server ({@link ListWatchServer});</li>
 *   <li>{@code standalone FILE SERVICES [changed]}: writes a standalone config;</li>
 *   <li>{@code backends ADDR=NAME...}: TCP servers that answer each connection with their name;</li>
 *   <li>{@code probe TARGET NAME SINCE_NS TIMEOUT_S [rename SRC DST | get URL]}: does the action,
 *       then connects to TARGET until a connection is answered by NAME, and prints the
 *       milliseconds since SINCE_NS ({@code System.nanoTime} is not shared between processes,
 *       so SINCE_NS is wall-clock nanoseconds, as {@code date +%s%N}; 0 means "after the action").</li>
 * </ul>
 * The probe Services, {@code 0} and the last, are served by backends A
 * ({@code 198.18.254.1-3:8080}); a change moves Service 0 to backends B ({@code 198.18.254.11-13:8080}).
 * Every other Service points at addresses nothing listens on.
 */
public final class ScaleRig {
    static final String[] BACKENDS_A = {"198.18.254.1:8080", "198.18.254.2:8080", "198.18.254.3:8080"};
    static final String[] BACKENDS_B = {"198.18.254.11:8080", "198.18.254.12:8080", "198.18.254.13:8080"};

    private ScaleRig() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length == 0) {
            throw new IllegalArgumentException("command: none (expected: api, standalone, backends or probe)");
        }
        String[] rest = Arrays.copyOfRange(args, 1, args.length);
        switch (args[0]) {
            case "api" -> api(rest);
            case "standalone" -> Files.writeString(Path.of(rest[0]),
                    standalone(Integer.parseInt(rest[1]), rest.length > 2 && "changed".equals(rest[2])));
            case "backends" -> backends(rest);
            case "probe" -> System.out.println(probe(rest));
            default -> throw new IllegalArgumentException("command: " + args[0]
                    + " (expected: api, standalone, backends or probe)");
        }
    }

    /** The endpoint addresses ({@code ip:port}) of a probe Service, or {@code null} for any other. */
    static String[] probeAddresses(int i, int services, boolean changed) {
        if (i != 0 && i != services - 1) {
            return null;
        }
        return changed && i == 0 ? BACKENDS_B : BACKENDS_A;
    }

    /** The same as bare IPs (the EndpointSlice port is 8080). */
    static String[] probeBackends(int i, int services, boolean changed) {
        String[] addresses = probeAddresses(i, services, changed);
        return addresses == null ? null : Arrays.stream(addresses).map(a -> a.substring(0, a.indexOf(':')))
                .toArray(String[]::new);
    }

    /** Service {@code s-i} listens on 127.(1 + n / 65536).(n / 256 % 256).(n % 256):80, n = i + 1. */
    static String listenAddress(int i) {
        int n = i + 1;
        return "127." + (1 + (n >>> 16)) + "." + (n >>> 8 & 255) + "." + (n & 255) + ":80";
    }

    /** A standalone config of {@code services} services, each with one listen address and three backends. */
    static String standalone(int services, boolean changed) {
        StringBuilder yaml = new StringBuilder(services * 140);
        yaml.append("services:\n");
        for (int i = 0; i < services; i++) {
            String[] backends = probeAddresses(i, services, changed);
            if (backends == null) {
                backends = new String[3];
                for (int b = 0; b < 3; b++) {
                    long pod = 3L * i + b;
                    backends[b] = ScaleObjects.podAddress(pod) + ":" + ScaleObjects.podPort(pod);
                }
            }
            yaml.append("  - name: s-").append(i).append('\n')
                    .append("    listen: [\"").append(listenAddress(i)).append("\"]\n")
                    .append("    backends: [\"").append(String.join("\", \"", backends)).append("\"]\n");
        }
        return yaml.toString();
    }

    private static void api(String[] args) throws Exception {
        int port = Integer.parseInt(args[0]);
        int services = Integer.parseInt(args[1]);
        int endpoints = Integer.parseInt(args[2]);
        if (services < 2 || services > ScaleObjects.MAX_SERVICES) {
            throw new IllegalArgumentException("services: " + services + " (expected: 2.." + ScaleObjects.MAX_SERVICES + ")");
        }
        ListWatchServer server = new ListWatchServer(new InetSocketAddress("127.0.0.1", port), services, endpoints);
        System.out.println("api server on 127.0.0.1:" + server.port() + ": " + services + " Services x " + endpoints
                + " endpoints");
        Thread.currentThread().join();
    }

    private static void backends(String[] specs) throws IOException {
        for (String spec : specs) {
            int eq = spec.indexOf('=');
            InetSocketAddress address = parse(spec.substring(0, eq));
            byte[] name = (spec.substring(eq + 1) + "\n").getBytes(StandardCharsets.UTF_8);
            ServerSocket server = new ServerSocket();
            server.setReuseAddress(true);
            server.bind(address, 512);
            Thread thread = new Thread(() -> {
                while (true) {
                    try (Socket socket = server.accept(); OutputStream out = socket.getOutputStream()) {
                        out.write(name);
                    } catch (IOException e) {
                        // one failed connection; keep answering the next
                    }
                }
            }, "backend-" + spec);
            thread.start();
        }
        System.out.println("backends listening: " + String.join(" ", specs));
    }

    private static long probe(String[] args) throws IOException, InterruptedException {
        InetSocketAddress target = parse(args[0]);
        String expected = args[1];
        long sinceWallNanos = Long.parseLong(args[2]);
        long timeoutNanos = Long.parseLong(args[3]) * 1_000_000_000L;
        long startNanos = System.nanoTime();
        long offsetNanos = sinceWallNanos == 0 ? 0 : currentWallNanos() - sinceWallNanos;
        if (args.length > 4) {
            startNanos = System.nanoTime();
            offsetNanos = 0;
            act(Arrays.copyOfRange(args, 4, args.length));
        }
        long deadline = startNanos + timeoutNanos;
        while (System.nanoTime() < deadline) {
            if (expected.equals(answer(target))) {
                return (System.nanoTime() - startNanos + offsetNanos) / 1_000_000;
            }
            Thread.sleep(10);
        }
        return -1;
    }

    private static void act(String[] action) throws IOException {
        switch (action[0]) {
            case "rename" -> Files.move(Path.of(action[1]), Path.of(action[2]), StandardCopyOption.ATOMIC_MOVE);
            case "get" -> {
                HttpURLConnection connection = (HttpURLConnection) URI.create(action[1]).toURL().openConnection();
                if (connection.getResponseCode() / 100 != 2) {
                    throw new IOException(action[1] + ": HTTP " + connection.getResponseCode() + " (expected: 2xx)");
                }
                connection.disconnect();
            }
            default -> throw new IllegalArgumentException("action: " + action[0] + " (expected: rename or get)");
        }
    }

    /** The first line a connection to {@code target} is answered with, or {@code null}. */
    private static String answer(InetSocketAddress target) {
        try (Socket socket = new Socket()) {
            socket.connect(target, 500);
            socket.setSoTimeout(1000);
            return new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8)).readLine();
        } catch (IOException e) {
            return null;
        }
    }

    private static long currentWallNanos() {
        java.time.Instant now = java.time.Instant.now();
        return now.getEpochSecond() * 1_000_000_000L + now.getNano();
    }

    private static InetSocketAddress parse(String text) {
        int colon = text.lastIndexOf(':');
        return new InetSocketAddress(text.substring(0, colon), Integer.parseInt(text.substring(colon + 1)));
    }
}
