package dev.sluice.proxy.cli;

import ch.qos.logback.classic.Level;
import dev.sluice.proxy.observe.LogFormat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The log format and kube-proxy's {@code --v} verbosity, mapped onto our loggers. */
final class Logging {
    private Logging() {
    }

    /** Applies --log-format and --v, before anything logs. */
    static void apply(ProxyFlags flags) {
        LogFormat.apply(flags.logFormat);
        verbosity(flags.verbosity);
    }

    static void verbosity(int v) {
        if (v < 0) {
            throw new IllegalArgumentException("v: " + v + " (expected: 0 or more)");
        }
        Level level = v >= 6 ? Level.TRACE : v >= 4 ? Level.DEBUG : Level.INFO;
        ((ch.qos.logback.classic.Logger) LoggerFactory.getLogger("dev.sluice")).setLevel(level);
        if (v >= 8) {
            ((ch.qos.logback.classic.Logger) LoggerFactory.getLogger(Logger.ROOT_LOGGER_NAME)).setLevel(Level.DEBUG);
        }
    }
}
