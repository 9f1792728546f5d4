package dev.sluice.discovery.file;

import dev.sluice.discovery.model.ServiceEntry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A standalone-mode config file, validated: one {@link ServiceEntry} per service and the raw
 * {@code settings} (process options by their long name, in file order). A file is used whole or
 * not at all: {@link #load} and {@link #parse} throw a {@link ConfigException} at the first
 * problem, naming file, line, column and field.
 *
 * <pre>
 * services:
 *   - name: web
 *     listen: ["127.0.0.1:8080"]
 *     backends: ["127.0.0.1:9001", "127.0.0.1:9002"]
 * settings:
 *   metrics-bind-address: 127.0.0.1:10249
 * </pre>
 *
 * @param services one entry per service, keyed {@code ("", name, "", protocol, family of the
 *                 first listen address)}, in file order
 * @param settings option name to value as written, in file order; unmodifiable
 */
public record StaticConfig(List<ServiceEntry> services, Map<String, String> settings) {

    public StaticConfig {
        services = List.copyOf(services);
        settings = Collections.unmodifiableMap(new LinkedHashMap<>(settings));
    }

    /**
     * Reads and validates a file; symbolic links are followed.
     *
     * @throws ConfigException when the file cannot be read (reason {@code read-error}) or is invalid
     */
    public static StaticConfig load(Path file) {
        return parse(file.toString(), read(file));
    }

    /**
     * Validates config text; {@code source} names it in error messages.
     *
     * @throws ConfigException when the text is invalid
     */
    public static StaticConfig parse(String source, byte[] content) {
        return ConfigReader.read(source, YamlDocument.parse(source, content));
    }

    /** The bytes of a config file, or a {@code read-error} naming it. */
    static byte[] read(Path file) {
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new ConfigException(file.toString(), 0, 0, "file", "cannot read it: " + e
                    + " (expected: a readable YAML file)", "read-error");
        }
    }
}
