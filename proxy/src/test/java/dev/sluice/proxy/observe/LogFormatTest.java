package dev.sluice.proxy.observe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

class LogFormatTest {
    private static final Logger log = LoggerFactory.getLogger(LogFormatTest.class);

    private final ByteArrayOutputStream captured = new ByteArrayOutputStream();
    private PrintStream originalErr;

    @BeforeEach
    void captureStderr() {
        originalErr = System.err;
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
    }

    @AfterEach
    void restore() {
        LogFormat.apply("text");
        System.setErr(originalErr);
    }

    /** The default format is one human line on stderr: time, level, thread, short logger name, message. */
    @Test
    void textLinesByDefault() {
        LogFormat.apply("text");
        log.info("[{}] listening on {}", "shop/web", 8080);

        String line = output();
        assertThat(line).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}(Z|[+-]\\d\\d:\\d\\d) INFO  \\[main\\] "
                + "LogFormatTest: \\[shop/web\\] listening on 8080\\n");
    }

    /** JSON mode writes one parseable object per line with the formatted message. */
    @Test
    void jsonLinesOnRequest() {
        LogFormat.apply("json");
        log.warn("[{}] port {} not opened", "shop/web", 30001);
        log.info("second line");

        String[] lines = output().split("\n");
        assertThat(lines).hasSize(2);
        JsonNode first = JsonMapper.builder().build().readTree(lines[0]);
        assertThat(first.get("level").asString()).isEqualTo("WARN");
        assertThat(first.get("loggerName").asString()).isEqualTo(LogFormatTest.class.getName());
        assertThat(first.get("threadName").asString()).isEqualTo("main");
        assertThat(first.get("formattedMessage").asString()).isEqualTo("[shop/web] port 30001 not opened");
        assertThat(first.get("timestamp").asLong()).isPositive();
        assertThat(JsonMapper.builder().build().readTree(lines[1]).get("formattedMessage").asString()).isEqualTo("second line");
    }

    /** An unknown format names the option and the choices. */
    @Test
    void unknownFormatIsRefused() {
        assertThatThrownBy(() -> LogFormat.apply("xml"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("log-format: xml (expected: text or json)");
    }

    /** Netty's chatter stays out of the log unless it is a warning. */
    @Test
    void nettyLogsOnlyWarnings() {
        assertThat(LoggerFactory.getLogger("io.netty.channel.DefaultChannelPipeline").isInfoEnabled()).isFalse();
        assertThat(LoggerFactory.getLogger("io.netty.channel.DefaultChannelPipeline").isWarnEnabled()).isTrue();
        assertThat(LoggerFactory.getLogger("dev.sluice.proxy.Anything").isInfoEnabled()).isTrue();
    }

    private String output() {
        return captured.toString(StandardCharsets.UTF_8);
    }
}
