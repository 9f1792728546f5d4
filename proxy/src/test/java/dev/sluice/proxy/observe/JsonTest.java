package dev.sluice.proxy.observe;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import org.junit.jupiter.api.Test;

class JsonTest {

    /** Times read as Go prints them: no fraction when whole, trailing zeros of the fraction dropped. */
    @Test
    void timesMatchGoEncoding() {
        assertThat(Json.goTime(Instant.parse("2026-01-02T03:04:05Z"))).isEqualTo("\"2026-01-02T03:04:05Z\"");
        assertThat(Json.goTime(Instant.parse("2026-01-02T03:04:05.120Z"))).isEqualTo("\"2026-01-02T03:04:05.12Z\"");
        assertThat(Json.goTime(Instant.parse("2026-01-02T03:04:05.000000007Z"))).isEqualTo("\"2026-01-02T03:04:05.000000007Z\"");
        assertThat(Json.goTime(Json.GO_ZERO_TIME)).isEqualTo("\"0001-01-01T00:00:00Z\"");
    }

    /** Strings are quoted with JSON escapes so a hostile name cannot break the document. */
    @Test
    void stringsAreEscaped() {
        assertThat(Json.quote("web")).isEqualTo("\"web\"");
        assertThat(Json.quote("a\"b\\c\nd\u0001")).isEqualTo("\"a\\\"b\\\\c\\nd\\u0001\"");
    }
}
