package dev.sluice.proxy.iface;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * Runs iproute2's {@code ip} as a child process, always from an argument list and never through
 * a shell, so nothing in an address or a name can be read as shell syntax.
 *
 * <p>The command prefix is injectable: production uses {@code ip}; tests use
 * {@code ip netns exec NS ip} so that every change lands in a namespace they own and never on
 * the host's interfaces.
 */
public final class IpCommand {
    private static final long TIMEOUT_SECONDS = 30;

    private final List<String> prefix;

    private IpCommand(List<String> prefix) {
        this.prefix = List.copyOf(prefix);
    }

    /** {@code ip} from the {@code PATH}, in this process's network namespace. */
    public static IpCommand system() {
        return new IpCommand(List.of("ip"));
    }

    /**
     * A runner whose every invocation starts with {@code prefix}, which must end in the
     * {@code ip} program, e.g. {@code [ip, netns, exec, NS, ip]}.
     */
    public static IpCommand withPrefix(List<String> prefix) {
        if (prefix.isEmpty()) {
            throw new IllegalArgumentException("prefix: [] (expected: a command ending in ip)");
        }
        return new IpCommand(prefix);
    }

    /** The outcome of one invocation. */
    public record Result(int exitCode, String stdout, String stderr) {
        /** Whether {@code ip} exited with status 0. */
        public boolean ok() {
            return exitCode == 0;
        }
    }

    /** Runs {@code ip args...} and waits for it. */
    public Result run(List<String> args) {
        return run(args, null);
    }

    /**
     * Runs {@code ip -force -batch -} with one command per line on its standard input. With
     * {@code -force} a failing line does not stop the later ones; {@code ip} names each failed
     * line on standard error as {@code Command failed -:N}.
     */
    public Result batch(List<String> lines) {
        StringBuilder input = new StringBuilder();
        for (String line : lines) {
            if (line.indexOf('\n') >= 0 || line.indexOf('\r') >= 0) {
                throw new IllegalArgumentException("batch line: \"" + line + "\" (expected: a single line)");
            }
            input.append(line).append('\n');
        }
        return run(List.of("-force", "-batch", "-"), input.toString());
    }

    private Result run(List<String> args, String stdin) {
        List<String> command = new ArrayList<>(prefix);
        for (String arg : args) {
            command.add(Objects.requireNonNull(arg, "argument"));
        }
        ProcessBuilder builder = new ProcessBuilder(command);
        if (stdin == null) {
            builder.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        }
        Process process;
        try {
            process = builder.start();
        } catch (IOException e) {
            throw new UncheckedIOException("command: " + command + " (expected: an ip program from iproute2 on the PATH)", e);
        }
        // Standard error is drained on its own thread so a full pipe can never stall the child.
        CompletableFuture<String> stderr = CompletableFuture.supplyAsync(() -> drain(process.getErrorStream()));
        try {
            try (OutputStream in = process.getOutputStream()) {
                if (stdin != null) {
                    in.write(stdin.getBytes(StandardCharsets.UTF_8));
                }
            }
            String stdout = drain(process.getInputStream());
            if (!process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IllegalStateException("command: " + command + " (expected: to finish within "
                        + TIMEOUT_SECONDS + " s)");
            }
            return new Result(process.exitValue(), stdout, stderr.get(TIMEOUT_SECONDS, TimeUnit.SECONDS));
        } catch (IOException e) {
            process.destroyForcibly();
            throw new UncheckedIOException("command: " + command, e);
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IllegalStateException("command: " + command + " interrupted", e);
        } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
            process.destroyForcibly();
            throw new IllegalStateException("command: " + command + " (expected: readable standard error)", e);
        }
    }

    private static String drain(InputStream stream) {
        try (stream) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            stream.transferTo(out);
            return out.toString(StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public String toString() {
        return String.join(" ", prefix);
    }
}
