package dev.sluice.proxy.tproxy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Runs the {@code nft} program with a script on its standard input ({@code nft -f -}), never
 * through a shell. One script is one kernel transaction: it applies whole or not at all.
 *
 * <p>The command prefix is injectable, as for {@code IpCommand}, so a test can run it in a
 * namespace of its own.
 */
public final class Nft {
    private static final long TIMEOUT_SECONDS = 30;

    private final List<String> prefix;

    private Nft(List<String> prefix) {
        this.prefix = List.copyOf(prefix);
    }

    /** {@code nft} from the {@code PATH}, in this process's network namespace. */
    public static Nft system() {
        return new Nft(List.of("nft"));
    }

    /** A runner whose every invocation starts with {@code prefix}, which must end in {@code nft}. */
    public static Nft withPrefix(List<String> prefix) {
        if (prefix.isEmpty()) {
            throw new IllegalArgumentException("prefix: [] (expected: a command ending in nft)");
        }
        return new Nft(prefix);
    }

    /** The outcome of one invocation. */
    public record Result(int exitCode, String stdout, String stderr) {
        /** Whether {@code nft} exited with status 0. */
        public boolean ok() {
            return exitCode == 0;
        }

        /** Standard error on one line, for a log line or an error message. */
        public String error() {
            return stderr.strip().replaceAll("\\s*\\n\\s*", " | ");
        }
    }

    /** Applies {@code script} as one transaction. */
    public Result apply(String script) {
        return run(List.of("-f", "-"), script);
    }

    /** Runs {@code nft args...}, e.g. {@code list table inet sluice}. */
    public Result run(List<String> args) {
        return run(args, "");
    }

    private Result run(List<String> args, String stdin) {
        List<String> command = new ArrayList<>(prefix);
        command.addAll(args);
        Process process;
        try {
            process = new ProcessBuilder(command).start();
        } catch (IOException e) {
            throw new UncheckedIOException("command: " + command + " (expected: the nft program from nftables on the PATH)", e);
        }
        CompletableFuture<String> stderr = CompletableFuture.supplyAsync(() -> drain(process.getErrorStream()));
        try {
            try (OutputStream in = process.getOutputStream()) {
                in.write(stdin.getBytes(StandardCharsets.UTF_8));
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
        } catch (ExecutionException | TimeoutException e) {
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
