package dev.sluice.discovery.file;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.sluice.discovery.model.Backend;
import dev.sluice.discovery.model.BackendTable;
import dev.sluice.discovery.model.ServiceEntry;
import dev.sluice.discovery.model.TableChange;
import dev.sluice.discovery.state.SyncTracker;
import dev.sluice.discovery.state.TablePublisher;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/** The file source publishes at start and follows every way a config file gets replaced. */
class StaticFileSourceTest {
    private static final Duration POLL = Duration.ofMillis(200);
    private static final Duration PATIENCE = Duration.ofSeconds(5);

    @TempDir
    Path dir;

    private final TablePublisher publisher = new TablePublisher();
    private final List<TableChange> publications = new CopyOnWriteArrayList<>();
    private final RecordingObserver observer = new RecordingObserver();
    /** Every reading advances one second, so each tracker update is told apart from the last. */
    private final SyncTracker tracker = new SyncTracker(new TickingClock());
    private final ListAppender<ILoggingEvent> logs = new ListAppender<>();
    private StaticFileSource source;

    @BeforeEach
    void listen() {
        publisher.addListener(publications::add);
        logs.start();
        ((Logger) LoggerFactory.getLogger(StaticFileSource.class)).addAppender(logs);
    }

    @AfterEach
    void stop() {
        if (source != null) {
            source.close();
        }
        ((Logger) LoggerFactory.getLogger(StaticFileSource.class)).detachAppender(logs);
    }

    @Test
    void startPublishesTheFileAsGenerationOneAndMarksTheTrackerSynced() throws IOException {
        Path file = write(dir.resolve("sluice.yaml"), config("web", 8080, 9001, 9002));

        start(file);

        assertThat(publisher.current().generation()).isEqualTo(1);
        assertThat(backendsOf("web")).containsExactly(Backend.of("127.0.0.1", 9001), Backend.of("127.0.0.1", 9002));
        assertThat(tracker.synced()).isTrue();
        assertThat(observer.syncedServiceChanges).containsExactly(1);
    }

    @Test
    void invalidFileAtStartThrowsNamingFileLineAndFieldAndPublishesNothing() throws IOException {
        Path file = write(dir.resolve("sluice.yaml"), """
                services:
                  - name: web
                    listen: ["127.0.0.1:99999"]
                """);
        source = new StaticFileSource(file, publisher, tracker, observer, POLL);

        IllegalArgumentException e = catchThrowableOfType(IllegalArgumentException.class, source::start);

        assertThat(e).hasMessage(file + ":3:14: services[0].listen[0]: \"127.0.0.1:99999\""
                + " (expected: ip:port with port 1..65535)");
        assertThat(publisher.current()).isSameAs(BackendTable.empty());
        assertThat(tracker.synced()).isFalse();
        assertThat(observer.rejected).containsExactly("config/invalid-port");
    }

    @Test
    void inPlaceRewriteAddsChangesAndRemovesServices() throws IOException {
        Path file = write(dir.resolve("sluice.yaml"), config("web", 8080, 9001));
        start(file);

        Files.writeString(file, config("web", 8080, 9001, 9002) + service("api", 8081, 9100));
        await().atMost(PATIENCE).until(() -> publisher.current().size() == 2);
        assertThat(backendsOf("web")).containsExactly(Backend.of("127.0.0.1", 9001), Backend.of("127.0.0.1", 9002));
        assertThat(backendsOf("api")).containsExactly(Backend.of("127.0.0.1", 9100));

        Files.writeString(file, config("api", 8081, 9100));
        await().atMost(PATIENCE).until(() -> publisher.current().size() == 1);
        assertThat(names(publisher.current())).containsExactly("api");
        assertThat(publications.get(publications.size() - 1).current().generation())
                .isEqualTo(publisher.current().generation());
        assertThat(logMessages(Level.INFO)).anyMatch(m -> m.contains("added [api], changed [web]"))
                .anyMatch(m -> m.contains("removed [web]"));
    }

    @Test
    void renameReplaceIsApplied() throws IOException {
        Path file = write(dir.resolve("sluice.yaml"), config("web", 8080, 9001));
        start(file);

        Path next = write(dir.resolve(".sluice.yaml.tmp"), config("web", 8080, 9005));
        Files.move(next, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);

        await().atMost(PATIENCE).until(() -> backendsOf("web").equals(List.of(Backend.of("127.0.0.1", 9005))));
        assertThat(publisher.current().generation()).isEqualTo(2);
    }

    @Test
    void configMapStyleSymlinkSwapIsApplied() throws IOException {
        Path mount = Files.createDirectories(dir.resolve("config"));
        write(Files.createDirectories(mount.resolve("..2026_11_26_01")).resolve("sluice.yaml"),
                config("web", 8080, 9001));
        Files.createSymbolicLink(mount.resolve("..data"), Path.of("..2026_11_26_01"));
        Path file = Files.createSymbolicLink(mount.resolve("sluice.yaml"), Path.of("..data/sluice.yaml"));
        start(file);

        // What the kubelet does: write a new timestamped directory, point a temporary link at it,
        // rename the link over ..data, then delete the old directory.
        write(Files.createDirectories(mount.resolve("..2026_11_26_02")).resolve("sluice.yaml"),
                config("web", 8080, 9007));
        Path staged = Files.createSymbolicLink(mount.resolve("..data_tmp"), Path.of("..2026_11_26_02"));
        Files.move(staged, mount.resolve("..data"), StandardCopyOption.ATOMIC_MOVE,
                StandardCopyOption.REPLACE_EXISTING);
        Files.delete(mount.resolve("..2026_11_26_01/sluice.yaml"));
        Files.delete(mount.resolve("..2026_11_26_01"));

        await().atMost(PATIENCE).until(() -> backendsOf("web").equals(List.of(Backend.of("127.0.0.1", 9007))));
    }

    @Test
    void changeToALinkTargetInAnUnwatchedDirectoryIsFoundByPolling() throws IOException {
        Path elsewhere = write(Files.createDirectories(dir.resolve("elsewhere")).resolve("real.yaml"),
                config("web", 8080, 9001));
        Path file = Files.createSymbolicLink(Files.createDirectories(dir.resolve("etc")).resolve("sluice.yaml"),
                elsewhere);
        start(file);

        Files.writeString(elsewhere, config("web", 8080, 9002));

        await().atMost(PATIENCE).until(() -> backendsOf("web").equals(List.of(Backend.of("127.0.0.1", 9002))));
    }

    @Test
    void badFileKeepsTheOldTableCountsOnceLogsOnceAndALaterGoodFileApplies() throws IOException {
        Path file = write(dir.resolve("sluice.yaml"), config("web", 8080, 9001));
        start(file);

        Files.writeString(file, config("web", 8080, 9001) + "    colour: blue\n");
        await().atMost(PATIENCE).until(() -> !observer.rejected.isEmpty());
        // Several polls pass over the same bad content: it is neither counted nor logged again.
        await().during(POLL.multipliedBy(4)).atMost(PATIENCE)
                .until(() -> observer.rejected.size() == 1 && logMessages(Level.ERROR).size() == 1);
        assertThat(observer.rejected).containsExactly("config/unknown-key");
        assertThat(logMessages(Level.ERROR)).singleElement().asString()
                .startsWith(file + ":6:5: services[0].colour: unknown key");
        assertThat(publisher.current().generation()).isEqualTo(1);
        assertThat(backendsOf("web")).containsExactly(Backend.of("127.0.0.1", 9001));
        assertThat(tracker.healthy(Duration.ZERO)).as("a refused file is handled, not pending").isTrue();

        Files.writeString(file, config("web", 8080, 9003));
        await().atMost(PATIENCE).until(() -> backendsOf("web").equals(List.of(Backend.of("127.0.0.1", 9003))));
        assertThat(publisher.current().generation()).isEqualTo(2);
    }

    @Test
    void rewriteWithTheSameServicesPublishesNothing() throws IOException {
        Path file = write(dir.resolve("sluice.yaml"), config("web", 8080, 9001));
        start(file);
        Instant applied = tracker.lastUpdated();

        Files.writeString(file, "# only a comment is new\n" + config("web", 8080, 9001));
        await().atMost(PATIENCE).until(() -> !tracker.lastUpdated().equals(applied));

        assertThat(publisher.current().generation()).isEqualTo(1);
        assertThat(publications).hasSize(1);
        assertThat(logMessages(Level.INFO)).anyMatch(m -> m.contains("no service changed"));
    }

    @Test
    void rewriteWithIdenticalBytesIsNotEvenQueued() throws IOException {
        Path file = write(dir.resolve("sluice.yaml"), config("web", 8080, 9001));
        start(file);
        Instant applied = tracker.lastUpdated();

        Files.writeString(file, config("web", 8080, 9001));

        await().during(POLL.multipliedBy(4)).atMost(PATIENCE)
                .until(() -> tracker.lastUpdated().equals(applied) && publications.size() == 1);
        assertThat(publisher.current().generation()).isEqualTo(1);
    }

    @Test
    void closeStopsTheWatchThread() throws IOException {
        Path file = write(dir.resolve("sluice.yaml"), config("web", 8080, 9001));
        start(file);
        assertThat(watchThreads()).isPositive();

        source.close();

        assertThat(watchThreads()).isZero();
    }

    private void start(Path file) {
        source = new StaticFileSource(file, publisher, tracker, observer, POLL);
        source.start();
    }

    private static long watchThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().equals("sluice-config-watch") && t.isAlive()).count();
    }

    private List<Backend> backendsOf(String name) {
        return publisher.current().entries().stream().filter(e -> e.key().name().equals(name)).findFirst()
                .map(ServiceEntry::internalEndpoints).orElse(List.of());
    }

    private static List<String> names(BackendTable table) {
        return table.sortedEntries().stream().map(e -> e.key().name()).toList();
    }

    private List<String> logMessages(Level level) {
        return logs.list.stream().filter(e -> e.getLevel() == level).map(ILoggingEvent::getFormattedMessage).toList();
    }

    private static String config(String name, int listenPort, int... backendPorts) {
        return "services:\n" + service(name, listenPort, backendPorts);
    }

    private static String service(String name, int listenPort, int... backendPorts) {
        StringBuilder yaml = new StringBuilder()
                .append("  - name: ").append(name).append('\n')
                .append("    listen: [\"127.0.0.1:").append(listenPort).append("\"]\n")
                .append("    backends:\n");
        for (int port : backendPorts) {
            yaml.append("      - \"127.0.0.1:").append(port).append("\"\n");
        }
        return yaml.toString();
    }

    private static Path write(Path file, String content) throws IOException {
        return Files.writeString(file, content);
    }

    /** A clock that moves one second forward every time it is read. */
    private static final class TickingClock extends Clock {
        private final AtomicLong seconds = new AtomicLong();

        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            throw new UnsupportedOperationException("withZone: " + zone + " (expected: UTC only)");
        }

        @Override
        public Instant instant() {
            return Instant.ofEpochSecond(seconds.incrementAndGet());
        }
    }
}
