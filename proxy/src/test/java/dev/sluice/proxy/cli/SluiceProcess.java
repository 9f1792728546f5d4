package dev.sluice.proxy.cli;

import static org.awaitility.Awaitility.await;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.awaitility.core.ConditionTimeoutException;

/** The real jar in its own JVM, with its output collected line by line for assertions. */
final class SluiceProcess implements AutoCloseable {
    private final Process process;
    private final List<String> lines = new CopyOnWriteArrayList<>();

    private SluiceProcess(Process process) {
        this.process = process;
        Thread reader = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(
                    new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line = in.readLine(); line != null; line = in.readLine()) {
                    lines.add(line);
                }
            } catch (IOException e) {
                lines.add("<output closed: " + e + ">");
            }
        }, "sluice-output");
        reader.setDaemon(true);
        reader.start();
    }

    /** Starts {@code java -jar sluice.jar ARGS...}; the jar comes from failsafe's {@code sluice.jar}. */
    static SluiceProcess start(String... args) throws IOException {
        String jar = System.getProperty("sluice.jar", "target/sluice.jar");
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-Xmx128m");
        command.add("-Dio.netty.leakDetection.level=paranoid");
        command.add("-jar");
        command.add(jar);
        command.addAll(List.of(args));
        return new SluiceProcess(new ProcessBuilder(command).redirectErrorStream(true).start());
    }

    /** Waits for a line matching {@code regex} and returns its first group (or the whole line). */
    String awaitLine(String regex) {
        Pattern pattern = Pattern.compile(regex);
        try {
            return await().atMost(Duration.ofSeconds(30)).until(() -> find(pattern), Optional::isPresent).orElseThrow();
        } catch (ConditionTimeoutException e) {
            throw new AssertionError("no line matching " + regex + " within 30 s; sluice said:\n" + output(), e);
        }
    }

    private Optional<String> find(Pattern pattern) {
        for (String line : lines) {
            Matcher matcher = pattern.matcher(line);
            if (matcher.find()) {
                return Optional.of(matcher.groupCount() > 0 ? matcher.group(1) : line);
            }
        }
        return Optional.empty();
    }

    /** Everything printed so far. */
    String output() {
        return String.join("\n", lines);
    }

    /** Sends SIGTERM (through the handle: Process.destroy would also close our end of its output). */
    void terminate() {
        process.toHandle().destroy();
    }

    /** Waits for the process to exit and returns its exit code. */
    int awaitExit(Duration timeout) throws InterruptedException {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new AssertionError("sluice did not exit within " + timeout + ":\n" + output());
        }
        return process.exitValue();
    }

    boolean isAlive() {
        return process.isAlive();
    }

    @Override
    public void close() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
    }
}
