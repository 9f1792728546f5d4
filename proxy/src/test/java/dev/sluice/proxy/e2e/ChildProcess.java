package dev.sluice.proxy.e2e;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A process the test starts (usually through {@code ip netns exec}) and talks to line by line:
 * standard output is read on a daemon thread into a queue, standard error goes to a log file
 * the failure message points at. {@link #close()} ends exactly this process and its children.
 */
final class ChildProcess implements AutoCloseable {
    private static final String EOF = "\u0000eof";

    private final String name;
    private final Process process;
    private final Path log;
    private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();

    private ChildProcess(String name, Process process, Path log) {
        this.name = name;
        this.process = process;
        this.log = log;
    }

    /** Starts {@code command}; its standard error (and standard output if {@code stdoutToLog}) goes to {@code log}. */
    static ChildProcess start(String name, List<String> command, Path log, boolean stdoutToLog) throws IOException {
        ProcessBuilder builder = new ProcessBuilder(command).redirectError(log.toFile());
        // The child must not find a cluster through the test runner's environment.
        builder.environment().keySet().removeIf(k -> k.startsWith("KUBERNETES_") || k.equals("KUBECONFIG"));
        if (stdoutToLog) {
            builder.redirectErrorStream(true).redirectOutput(log.toFile());
        }
        ChildProcess child = new ChildProcess(name, builder.start(), log);
        if (!stdoutToLog) {
            Thread reader = new Thread(child::pump, "stdout-" + name);
            reader.setDaemon(true);
            reader.start();
        }
        return child;
    }

    private void pump() {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                lines.add(line);
            }
        } catch (IOException e) {
            // The process ended; the EOF marker below tells the reader.
        }
        lines.add(EOF);
    }

    /** The next line of standard output, failing with the log's path after {@code seconds}. */
    String readLine(long seconds) throws InterruptedException {
        String line = lines.poll(seconds, TimeUnit.SECONDS);
        if (line == null || line.equals(EOF)) {
            throw new IllegalStateException(name + ": " + (line == null ? "no answer within " + seconds + " s" : "exited")
                    + " (see " + log + ")");
        }
        return line;
    }

    /** Sends one line and returns the one-line answer. */
    synchronized String ask(String command) throws IOException, InterruptedException {
        OutputStream in = process.getOutputStream();
        in.write((command + "\n").getBytes(StandardCharsets.UTF_8));
        in.flush();
        return readLine(15);
    }

    /** Kills the process with SIGKILL, as a crash would end it: nothing of its own cleanup runs. */
    void kill() throws InterruptedException {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }

    /** The exit status, waiting up to {@code seconds} for the process to end. */
    int exitCode(long seconds) throws InterruptedException {
        if (!process.waitFor(seconds, TimeUnit.SECONDS)) {
            throw new IllegalStateException(name + ": still running after " + seconds + " s (see " + log + ")");
        }
        return process.exitValue();
    }

    boolean isAlive() {
        return process.isAlive();
    }

    /** The last lines of the log, and where it is. */
    String tail() {
        try {
            List<String> all = java.nio.file.Files.readAllLines(log, StandardCharsets.UTF_8);
            return String.join("\n", all.subList(Math.max(0, all.size() - 20), all.size())) + "\n(see " + log + ")";
        } catch (IOException e) {
            return "(see " + log + ")";
        }
    }

    /** Ends the process (SIGTERM, then SIGKILL after five seconds) and its descendants. */
    @Override
    public void close() {
        List<ProcessHandle> descendants = process.descendants().toList();
        process.destroy();
        descendants.forEach(ProcessHandle::destroy);
        try {
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                descendants.forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }

    @Override
    public String toString() {
        return name;
    }
}
