package dev.sluice.proxy.listen;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

class ReconcileLogTest {
    private final Logger logger = (Logger) LoggerFactory.getLogger("test.ReconcileLogTest");
    private final ListAppender<ILoggingEvent> appender = new ListAppender<>();
    private final ReconcileLog events = new ReconcileLog(logger);

    @BeforeEach
    void capture() {
        logger.setLevel(Level.DEBUG);
        appender.start();
        logger.addAppender(appender);
    }

    @AfterEach
    void release() {
        logger.detachAppender(appender);
    }

    /** Shows that a few events keep a line each, as a small table always logged them. */
    @Test
    void fewEventsAreLoggedOneByOne() {
        events.listening("[web] listening on TCP 127.0.0.1:8080 (Listen 127.0.0.1:8080)");
        events.cannotListen("[db] cannot listen on TCP 198.18.0.10:5432 (Listen 198.18.0.10:5432): "
                + "Cannot assign requested address", "Cannot assign requested address");
        events.flush(5);

        assertThat(lines(Level.INFO)).containsExactly("[web] listening on TCP 127.0.0.1:8080 (Listen 127.0.0.1:8080)");
        assertThat(lines(Level.WARN)).containsExactly("[db] cannot listen on TCP 198.18.0.10:5432 "
                + "(Listen 198.18.0.10:5432): Cannot assign requested address; retrying");
    }

    /** Shows that 10,000 binds and 9,000 failures in one reconcile make one line each, with counts per reason and examples. */
    @Test
    void manyEventsMakeOneSummaryLineEach() {
        for (int i = 0; i < 10_000; i++) {
            events.listening("[svc-" + i + "] listening on " + i);
        }
        for (int i = 0; i < 9_000; i++) {
            String reason = i < 8_990 ? "Address already in use" : "Cannot assign requested address";
            events.cannotListen("[svc-" + i + "] cannot listen on " + i + ": " + reason, reason);
        }
        events.flush(5);

        assertThat(lines(Level.INFO)).containsExactly("10000 new listen addresses bound; the first 3: "
                + "[svc-0] listening on 0; [svc-1] listening on 1; [svc-2] listening on 2 (each one at debug level)");
        assertThat(lines(Level.WARN)).containsExactly("9000 listen addresses could not be bound "
                + "(8990: Address already in use, 10: Cannot assign requested address); retrying every 5 s; the first 3: "
                + "[svc-0] cannot listen on 0: Address already in use; [svc-1] cannot listen on 1: Address already in use; "
                + "[svc-2] cannot listen on 2: Address already in use (each one at debug level)");
        assertThat(lines(Level.DEBUG)).hasSize(19_000);

        events.flush(5);
        assertThat(appender.list).hasSize(19_002);
    }

    private List<String> lines(Level level) {
        return appender.list.stream().filter(e -> e.getLevel() == level).map(ILoggingEvent::getFormattedMessage).toList();
    }
}
