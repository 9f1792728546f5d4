package dev.sluice.proxy;

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

/**
 * The real jar ({@code sluice.jar} from failsafe) in its own JVM, with each line of its output
 * (stdout and stderr together) kept with the {@link System#nanoTime()} it arrived at.
 */
public final class SluiceJar implements AutoCloseable {
    /** One line of output and when this JVM read it. */
    public record Line(String text, long nanos) {
    }

    private final Process process;
    private final List<Line> lines = new CopyOnWriteArrayList<>();

    private SluiceJar(Process process) {
        this.process = process;
        Thread reader = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(
                    new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line = in.readLine(); line != null; line = in.readLine()) {
                    lines.add(new Line(line, System.nanoTime()));
                }
            } catch (IOException e) {
                lines.add(new Line("<output closed: " + e + ">", System.nanoTime()));
            }
        }, "sluice-output");
        reader.setDaemon(true);
        reader.start();
    }

    /** Starts {@code java -jar sluice.jar ARGS...}. */
    public static SluiceJar start(String... args) throws IOException {
        String jar = System.getProperty("sluice.jar", "target/sluice.jar");
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-Xmx128m");
        // C1 only: these processes live for seconds, so start-up counts more than peak speed.
        command.add("-XX:TieredStopAtLevel=1");
        command.add("-Dio.netty.leakDetection.level=paranoid");
        command.add("-jar");
        command.add(jar);
        command.addAll(List.of(args));
        return new SluiceJar(new ProcessBuilder(command).redirectErrorStream(true).start());
    }

    /**
     * Starts {@code bin/sluice ARGS...} exactly as users do: the launcher's own JVM options, none
     * added ({@code JAVA_OPTS} and {@code SLUICE_JAVA_OPTS} are cleared).
     */
    public static SluiceJar launch(String... args) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(Path.of("..", "bin", "sluice").toAbsolutePath().normalize().toString());
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().put("SLUICE_JAR",
                Path.of(System.getProperty("sluice.jar", "target/sluice.jar")).toAbsolutePath().toString());
        builder.environment().put("JAVA_HOME", System.getProperty("java.home"));
        builder.environment().remove("JAVA_OPTS");
        builder.environment().remove("SLUICE_JAVA_OPTS");
        return new SluiceJar(builder.start());
    }

    /** How many lines it printed so far. */
    public int lineCount() {
        return lines.size();
    }

    /** Waits up to 30 s for a line matching {@code regex}. */
    public Line awaitLine(String regex) {
        Pattern pattern = Pattern.compile(regex);
        try {
            return await().atMost(Duration.ofSeconds(30)).until(() -> find(pattern), Optional::isPresent).orElseThrow();
        } catch (ConditionTimeoutException e) {
            throw new AssertionError("no line matching " + regex + " within 30 s; sluice said:\n" + output(), e);
        }
    }

    /** Waits like {@link #awaitLine} and returns the first group of the match. */
    public String awaitGroup(String regex) {
        Matcher matcher = Pattern.compile(regex).matcher(awaitLine(regex).text());
        if (!matcher.find() || matcher.groupCount() < 1) {
            throw new AssertionError(regex + " (expected: a pattern with a group)");
        }
        return matcher.group(1);
    }

    private Optional<Line> find(Pattern pattern) {
        return lines.stream().filter(line -> pattern.matcher(line.text()).find()).findFirst();
    }

    /** Everything printed so far. */
    public String output() {
        StringBuilder out = new StringBuilder();
        lines.forEach(line -> out.append(line.text()).append('\n'));
        return out.toString();
    }

    /** SIGTERM, through the handle so our end of its output stays open. */
    public void terminate() {
        process.toHandle().destroy();
    }

    /** Waits for the exit and returns its code. */
    public int awaitExit(Duration timeout) throws InterruptedException {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new AssertionError("sluice did not exit within " + timeout + ":\n" + output());
        }
        return process.exitValue();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    @Override
    public void close() {
        process.destroyForcibly();
        try {
            process.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
