package dev.sluice.proxy.tproxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** The two flags read as documented, and a typo is named with what was expected. */
class TransparencyTest {

    @Test
    void defaultsNeedNoKernelState() {
        Transparency off = Transparency.parse("bind", "node");

        assertThat(off).isEqualTo(Transparency.OFF);
        assertThat(off.needsKernelRules()).isFalse();
    }

    @Test
    void eitherTransparentChoiceNeedsTheKernelRules() {
        assertThat(Transparency.parse("tproxy", "node").needsKernelRules()).isTrue();
        assertThat(Transparency.parse("bind", "client").needsKernelRules()).isTrue();
        assertThat(Transparency.parse(" TPROXY ", "Client")).isEqualTo(new Transparency(true, true));
        assertThat(new Transparency(true, true).describe()).isEqualTo("--capture tproxy --source-ip client");
    }

    @Test
    void unknownValuesAreNamed() {
        assertThatThrownBy(() -> Transparency.parse("redirect", "node"))
                .hasMessage("capture: redirect (expected: bind or tproxy)");
        assertThatThrownBy(() -> Transparency.parse("bind", "pod"))
                .hasMessage("source-ip: pod (expected: client or node)");
    }
}
