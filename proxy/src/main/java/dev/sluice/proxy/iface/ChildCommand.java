package dev.sluice.proxy.iface;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Runs one program as a child process from an argument list, never through a shell, and waits
 * for it: the runner behind {@link IpCommand} and {@code tproxy.Nft}. Standard input is the given
 * text, or empty; standard error is drained on its own thread so a full pipe can never stall the
 * child; a child that has not finished within {@value #TIMEOUT_SECONDS} seconds is killed.
 */
public final class ChildCommand {
    private static final long TIMEOUT_SECONDS = 30;

    private ChildCommand() {
    }

    /** What one run printed, and its exit status. */
    public record Output(int exitCode, String stdout, String stderr) {
    }

    /**
     * Runs {@code command} with {@code stdin} (null for none) on its standard input.
     *
     * @param program what the first element of {@code command} should be, named when it cannot
     *                be started (e.g. {@code the nft program from nftables on the PATH})
     * @throws UncheckedIOException  when the program cannot be started or its output read
     * @throws IllegalStateException when it does not finish in time, or the caller is interrupted
     */
    public static Output run(List<String> command, String stdin, String program) {
        ProcessBuilder builder = new ProcessBuilder(command);
        if (stdin == null) {
            builder.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        }
        Process process;
        try {
            process = builder.start();
        } catch (IOException e) {
            throw new UncheckedIOException("command: " + command + " (expected: " + program + ")", e);
        }
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
            return new Output(process.exitValue(), stdout, stderr.get(TIMEOUT_SECONDS, TimeUnit.SECONDS));
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
}
