package dev.sluice.proxy.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code sluice} command line: {@code run} serves a static file or a cluster, {@code demo}
 * starts a self-contained example, {@code explain} prints the table a node would compute.
 */
@Command(
        name = "sluice",
        versionProvider = Version.class,
        description = "A kube-proxy-style L4 service proxy.",
        subcommands = {RunCommand.class, DemoCommand.class, ExplainCommand.class, CommandLine.HelpCommand.class},
        footer = {"", "Run 'sluice COMMAND --help' for one command's flags."})
public final class Main implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @CommandLine.Option(names = {"-h", "--help"}, description = "Print every command with its flags.")
    boolean help;

    @CommandLine.Option(names = {"-V", "--version"}, versionHelp = true, description = "Print the version.")
    boolean version;

    public static void main(String[] args) {
        CommandLine cli = commandLine();
        String[] expanded;
        try {
            expanded = ConfigSettings.expand(cli, args);
        } catch (IllegalArgumentException e) {
            cli.getErr().println("sluice: " + e.getMessage());
            System.exit(2);
            return;
        }
        System.exit(cli.execute(expanded));
    }

    /** The configured command line, shared by {@link #main} and tests. */
    public static CommandLine commandLine() {
        CommandLine cli = new CommandLine(new Main());
        // Settings from a config file are passed as flags before the user's own, which win.
        cli.setOverwrittenOptionsAllowed(true);
        cli.setCaseInsensitiveEnumValuesAllowed(true);
        cli.setExecutionExceptionHandler(Main::report);
        return cli;
    }

    /**
     * Errors a user can cause (a bad flag value, file or address) become one line naming the
     * input; anything else keeps its stack trace.
     */
    private static int report(Exception e, CommandLine cli, CommandLine.ParseResult parsed) {
        if (e instanceof IllegalArgumentException || e instanceof IllegalStateException) {
            cli.getErr().println("sluice " + cli.getCommandName() + ": " + e.getMessage());
            return 1;
        }
        cli.getErr().println("sluice " + cli.getCommandName() + ": failed");
        e.printStackTrace(cli.getErr());
        return 1;
    }

    @Override
    public void run() {
        // 'sluice' alone prints every command with its flags, so --help is the whole reference.
        CommandLine cli = spec.commandLine();
        cli.usage(cli.getOut());
        for (CommandLine sub : cli.getSubcommands().values()) {
            if (sub.getCommand() instanceof CommandLine.HelpCommand) {
                continue;
            }
            cli.getOut().println();
            sub.usage(cli.getOut());
        }
    }
}
