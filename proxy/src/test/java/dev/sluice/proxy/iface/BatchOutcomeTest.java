package dev.sluice.proxy.iface;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Attributing {@code ip -force -batch} errors (as iproute2 6.1 prints them) to the lines that caused them. */
class BatchOutcomeTest {

    @Test
    void eachFailureIsPinnedOnItsLineAndTheOthersSucceeded() {
        BatchOutcome outcome = BatchOutcome.of(new IpCommand.Result(1, "", String.join("\n",
                "Error: ipv4: Address already assigned.",
                "Command failed -:1",
                "Error: ipv6: address not found.",
                "Command failed -:3",
                "")));

        assertThat(outcome.failure(1)).isEqualTo("Error: ipv4: Address already assigned.");
        assertThat(outcome.failure(2)).isNull();
        assertThat(outcome.failure(3)).isEqualTo("Error: ipv6: address not found.");
        assertThat(BatchOutcome.alreadyAssigned(outcome.failure(1))).isTrue();
        assertThat(BatchOutcome.notFound(outcome.failure(3))).isTrue();
    }

    @Test
    void aFailureNotPinnedOnALineCountsAgainstEveryLine() {
        BatchOutcome outcome = BatchOutcome.of(new IpCommand.Result(255, "", "Segmentation fault\n"));

        assertThat(outcome.failure(1)).isEqualTo("Segmentation fault");
        assertThat(outcome.failure(7)).isEqualTo("Segmentation fault");
    }

    @Test
    void warningsOfASuccessfulRunAreNotFailures() {
        BatchOutcome outcome = BatchOutcome.of(new IpCommand.Result(0, "", "Warning: something harmless\n"));

        assertThat(outcome.failure(1)).isNull();
    }
}
