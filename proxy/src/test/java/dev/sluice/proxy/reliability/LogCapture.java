package dev.sluice.proxy.reliability;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.util.List;
import org.slf4j.LoggerFactory;

/**
 * Collects every event that reaches the root logger of this JVM (the in-process proxy's and
 * Netty's, such as the leak detector's {@code LEAK:} reports) until closed.
 */
final class LogCapture implements AutoCloseable {
    private final Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    private final ListAppender<ILoggingEvent> appender = new ListAppender<>();

    LogCapture() {
        appender.setContext(root.getLoggerContext());
        appender.start();
        root.addAppender(appender);
    }

    /** Formatted messages (with the throwable's text) that contain {@code text}. */
    List<String> linesContaining(String text) {
        synchronized (appender.list) {
            return appender.list.stream()
                    .map(LogCapture::render)
                    .filter(line -> line.contains(text))
                    .toList();
        }
    }

    private static String render(ILoggingEvent event) {
        String line = event.getLoggerName() + ": " + event.getFormattedMessage();
        return event.getThrowableProxy() == null ? line : line + " " + event.getThrowableProxy().getMessage();
    }

    @Override
    public void close() {
        root.detachAppender(appender);
        appender.stop();
    }
}
