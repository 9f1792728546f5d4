package dev.sluice.proxy.tproxy;

import dev.sluice.proxy.iface.ChildCommand;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs the {@code nft} program with a script on its standard input ({@code nft -f -}), never
 * through a shell. One script is one kernel transaction: it applies whole or not at all.
 *
 * <p>The command prefix is injectable, as for {@code IpCommand}, so a test can run it in a
 * namespace of its own; both run through {@link ChildCommand}.
 */
public final class Nft {
    private final List<String> prefix;

    private Nft(List<String> prefix) {
        this.prefix = List.copyOf(prefix);
    }

    /** {@code nft} from the {@code PATH}, in this process's network namespace. */
    public static Nft system() {
        return new Nft(List.of("nft"));
    }

    /** A runner whose every invocation starts with {@code prefix}, which must end in {@code nft}. */
    public static Nft withPrefix(List<String> prefix) {
        if (prefix.isEmpty()) {
            throw new IllegalArgumentException("prefix: [] (expected: a command ending in nft)");
        }
        return new Nft(prefix);
    }

    /** The outcome of one invocation. */
    public record Result(int exitCode, String stdout, String stderr) {
        /** Whether {@code nft} exited with status 0. */
        public boolean ok() {
            return exitCode == 0;
        }

        /** Standard error on one line, for a log line or an error message. */
        public String error() {
            return stderr.strip().replaceAll("\\s*\\n\\s*", " | ");
        }
    }

    /** Applies {@code script} as one transaction. */
    public Result apply(String script) {
        return run(List.of("-f", "-"), script);
    }

    /** Runs {@code nft args...}, e.g. {@code list table inet sluice}. */
    public Result run(List<String> args) {
        return run(args, null);
    }

    private Result run(List<String> args, String stdin) {
        List<String> command = new ArrayList<>(prefix);
        command.addAll(args);
        ChildCommand.Output out = ChildCommand.run(command, stdin, "the nft program from nftables on the PATH");
        return new Result(out.exitCode(), out.stdout(), out.stderr());
    }

    @Override
    public String toString() {
        return String.join(" ", prefix);
    }
}
