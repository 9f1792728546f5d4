package dev.sluice.proxy.iface;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Runs iproute2's {@code ip} as a child process, always from an argument list and never through
 * a shell, so nothing in an address or a name can be read as shell syntax.
 *
 * <p>The command prefix is injectable: production uses {@code ip}; tests use
 * {@code ip netns exec NS ip} so that every change lands in a namespace they own and never on
 * the host's interfaces.
 */
public final class IpCommand {
    private final List<String> prefix;

    private IpCommand(List<String> prefix) {
        this.prefix = List.copyOf(prefix);
    }

    /** {@code ip} from the {@code PATH}, in this process's network namespace. */
    public static IpCommand system() {
        return new IpCommand(List.of("ip"));
    }

    /**
     * A runner whose every invocation starts with {@code prefix}, which must end in the
     * {@code ip} program, e.g. {@code [ip, netns, exec, NS, ip]}.
     */
    public static IpCommand withPrefix(List<String> prefix) {
        if (prefix.isEmpty()) {
            throw new IllegalArgumentException("prefix: [] (expected: a command ending in ip)");
        }
        return new IpCommand(prefix);
    }

    /** The outcome of one invocation. */
    public record Result(int exitCode, String stdout, String stderr) {
        /** Whether {@code ip} exited with status 0. */
        public boolean ok() {
            return exitCode == 0;
        }
    }

    /** Runs {@code ip args...} and waits for it. */
    public Result run(List<String> args) {
        return run(args, null);
    }

    /**
     * Runs {@code ip -force -batch -} with one command per line on its standard input. With
     * {@code -force} a failing line does not stop the later ones; {@code ip} names each failed
     * line on standard error as {@code Command failed -:N}.
     */
    public Result batch(List<String> lines) {
        StringBuilder input = new StringBuilder();
        for (String line : lines) {
            if (line.indexOf('\n') >= 0 || line.indexOf('\r') >= 0) {
                throw new IllegalArgumentException("batch line: \"" + line + "\" (expected: a single line)");
            }
            input.append(line).append('\n');
        }
        return run(List.of("-force", "-batch", "-"), input.toString());
    }

    private Result run(List<String> args, String stdin) {
        List<String> command = new ArrayList<>(prefix);
        for (String arg : args) {
            command.add(Objects.requireNonNull(arg, "argument"));
        }
        ChildCommand.Output out = ChildCommand.run(command, stdin, "an ip program from iproute2 on the PATH");
        return new Result(out.exitCode(), out.stdout(), out.stderr());
    }

    @Override
    public String toString() {
        return String.join(" ", prefix);
    }
}
