package dev.sluice.proxy.observe;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.JsonEncoder;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.OutputStreamAppender;
import ch.qos.logback.core.encoder.Encoder;
import org.slf4j.ILoggerFactory;
import org.slf4j.LoggerFactory;

/**
 * Switches the log output between human lines ({@code text}, the default from
 * {@code logback.xml}) and one JSON object per line ({@code json}: epoch-millis
 * {@code timestamp}, {@code level}, {@code threadName}, {@code loggerName}, {@code mdc},
 * {@code kvpList}, {@code formattedMessage}, {@code throwable}). Called once at start-up, before
 * the interesting logging begins.
 */
public final class LogFormat {
    /** The appender {@code logback.xml} defines on the root logger. */
    static final String APPENDER = "STDERR";
    /** The context property {@code logback.xml} keeps the text pattern in. */
    static final String TEXT_PATTERN_PROPERTY = "SLUICE_TEXT_PATTERN";

    private LogFormat() {
    }

    /**
     * Applies a format by name.
     *
     * @throws IllegalArgumentException for a name other than {@code text} or {@code json}
     */
    public static void apply(String format) {
        boolean json = switch (format) {
            case "json" -> true;
            case "text" -> false;
            default -> throw new IllegalArgumentException("log-format: " + format + " (expected: text or json)");
        };
        ILoggerFactory factory = LoggerFactory.getILoggerFactory();
        if (!(factory instanceof LoggerContext context)) {
            return; // another SLF4J binding owns the output, as in some embedding tests
        }
        Appender<ILoggingEvent> appender = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).getAppender(APPENDER);
        if (!(appender instanceof OutputStreamAppender<ILoggingEvent> stream)) {
            throw new IllegalStateException("logback appender " + APPENDER + ": missing (expected: defined in logback.xml)");
        }
        Encoder<ILoggingEvent> encoder = json ? jsonEncoder(context) : textEncoder(context);
        encoder.start();
        stream.stop();
        stream.setEncoder(encoder);
        stream.start();
    }

    private static Encoder<ILoggingEvent> jsonEncoder(LoggerContext context) {
        JsonEncoder encoder = new JsonEncoder();
        encoder.setContext(context);
        encoder.setWithSequenceNumber(false);
        encoder.setWithNanoseconds(false);
        encoder.setWithContext(false);
        encoder.setWithMarkers(false);
        encoder.setWithArguments(false);
        encoder.setWithMessage(false);
        encoder.setWithFormattedMessage(true);
        return encoder;
    }

    private static Encoder<ILoggingEvent> textEncoder(LoggerContext context) {
        String pattern = context.getProperty(TEXT_PATTERN_PROPERTY);
        if (pattern == null) {
            throw new IllegalStateException("logback property " + TEXT_PATTERN_PROPERTY + ": missing (expected: defined in logback.xml)");
        }
        PatternLayoutEncoder encoder = new PatternLayoutEncoder();
        encoder.setContext(context);
        encoder.setPattern(pattern);
        return encoder;
    }
}
