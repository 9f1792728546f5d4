package dev.sluice.proxy.cli;

import dev.sluice.discovery.file.StaticConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import picocli.CommandLine;

/**
 * Lets a config file's {@code settings:} hold any flag of {@code run} or {@code demo}: they are
 * inserted before the user's own arguments, so flags given on the command line win.
 */
final class ConfigSettings {
    private ConfigSettings() {
    }

    /**
     * The arguments with the config file's settings inserted after the subcommand name.
     *
     * @throws IllegalArgumentException naming the file and setting when a setting is not a flag
     */
    static String[] expand(CommandLine root, String[] args) {
        if (args.length == 0 || !root.getSubcommands().containsKey(args[0])) {
            return args;
        }
        CommandLine sub = root.getSubcommands().get(args[0]);
        Path config = configPath(args);
        if (config == null || sub.getCommandSpec().findOption("--config") == null) {
            return args;
        }
        Map<String, String> settings;
        try {
            settings = StaticConfig.load(config).settings();
        } catch (RuntimeException e) {
            // The command itself loads the file again and reports the error with its location.
            return args;
        }
        List<String> expanded = new ArrayList<>();
        expanded.add(args[0]);
        for (Map.Entry<String, String> setting : settings.entrySet()) {
            String name = "--" + setting.getKey();
            if (sub.getCommandSpec().findOption(name) == null || name.equals("--config")) {
                throw new IllegalArgumentException(config + ": settings." + setting.getKey()
                        + " (expected: the long name of a '" + args[0] + "' flag, e.g. metrics-bind-address)");
            }
            expanded.add(name + "=" + setting.getValue());
        }
        expanded.addAll(List.of(args).subList(1, args.length));
        return expanded.toArray(String[]::new);
    }

    private static Path configPath(String[] args) {
        for (int i = 1; i < args.length; i++) {
            if (args[i].equals("--config") && i + 1 < args.length) {
                return Path.of(args[i + 1]);
            }
            if (args[i].startsWith("--config=")) {
                return Path.of(args[i].substring("--config=".length()));
            }
        }
        return null;
    }
}
