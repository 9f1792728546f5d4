package dev.sluice.discovery.file;

import dev.sluice.discovery.file.YamlNode.Field;
import dev.sluice.discovery.file.YamlNode.Kind;
import dev.sluice.discovery.file.YamlNode.Mapping;
import dev.sluice.discovery.file.YamlNode.Position;
import dev.sluice.discovery.file.YamlNode.Scalar;
import dev.sluice.discovery.file.YamlNode.Sequence;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.core.ObjectReadContext;
import tools.jackson.core.TokenStreamLocation;
import tools.jackson.dataformat.yaml.YAMLFactory;
import tools.jackson.dataformat.yaml.YAMLParser;

/**
 * Reads one YAML document into {@link YamlNode}s through Jackson's streaming parser, which is
 * the only Jackson layer that reports where each token starts. Rejects what a config file
 * should not contain: several documents, duplicate keys, aliases and binary values.
 */
final class YamlDocument {
    private static final YAMLFactory FACTORY = new YAMLFactory();

    private final String source;
    private final JsonParser parser;

    private YamlDocument(String source, JsonParser parser) {
        this.source = source;
        this.parser = parser;
    }

    /**
     * The single document in {@code content}, or {@code null} when it holds none.
     *
     * @throws ConfigException with reason {@code parse-error}, {@code duplicate-key} or
     *                         {@code wrong-type}, naming the line and column
     */
    static YamlNode parse(String source, byte[] content) {
        try (JsonParser parser = FACTORY.createParser(ObjectReadContext.empty(), content)) {
            YamlDocument document = new YamlDocument(source, parser);
            JsonToken first = parser.nextToken();
            if (first == null) {
                return null;
            }
            YamlNode root = document.value(first, "");
            if (parser.nextToken() != null) {
                Position at = document.here();
                throw new ConfigException(source, at.line(), at.column(), "document",
                        "a second document (expected: one YAML document per file)", "parse-error");
            }
            return root;
        } catch (JacksonException e) {
            TokenStreamLocation location = e.getLocation();
            int line = location == null ? 0 : Math.max(1, location.getLineNr());
            int column = location == null ? 0 : Math.max(1, location.getColumnNr());
            throw new ConfigException(source, line, column, "document",
                    summary(e.getOriginalMessage()) + " (expected: well-formed YAML)", "parse-error");
        }
    }

    private YamlNode value(JsonToken token, String path) {
        Position at = here();
        switch (token) {
            case START_OBJECT:
                return mapping(at, path);
            case START_ARRAY:
                return sequence(at, path);
            case VALUE_STRING:
                if (((YAMLParser) parser).isCurrentAlias()) {
                    throw problem(at, path, "*" + parser.getString(),
                            "a value written out; aliases are not supported", "wrong-type");
                }
                return new Scalar(parser.getString(), Kind.STRING, at);
            case VALUE_NUMBER_INT:
                return new Scalar(parser.getText(), Kind.INTEGER, at);
            case VALUE_NUMBER_FLOAT:
                return new Scalar(parser.getText(), Kind.FLOAT, at);
            case VALUE_TRUE:
            case VALUE_FALSE:
                return new Scalar(parser.getText(), Kind.BOOLEAN, at);
            case VALUE_NULL:
                return new Scalar("", Kind.NULL, at);
            default:
                throw problem(at, path, String.valueOf(parser.getText()), "a string, number, list or mapping",
                        "wrong-type");
        }
    }

    private Mapping mapping(Position at, String path) {
        Map<String, Field> fields = new LinkedHashMap<>();
        for (JsonToken token = parser.nextToken(); token != JsonToken.END_OBJECT; token = parser.nextToken()) {
            String key = parser.currentName();
            Position keyAt = here();
            String fieldPath = path.isEmpty() ? key : path + "." + key;
            YamlNode value = value(parser.nextToken(), fieldPath);
            Field previous = fields.putIfAbsent(key, new Field(key, keyAt, value));
            if (previous != null) {
                throw problem(keyAt, fieldPath, "written twice",
                        "each key once; first at line " + previous.keyAt().line(), "duplicate-key");
            }
        }
        return new Mapping(Collections.unmodifiableMap(fields), at);
    }

    private Sequence sequence(Position at, String path) {
        List<YamlNode> items = new ArrayList<>();
        for (JsonToken token = parser.nextToken(); token != JsonToken.END_ARRAY; token = parser.nextToken()) {
            items.add(value(token, path + "[" + items.size() + "]"));
        }
        return new Sequence(List.copyOf(items), at);
    }

    private Position here() {
        TokenStreamLocation location = parser.currentTokenLocation();
        return new Position(location.getLineNr(), location.getColumnNr());
    }

    private ConfigException problem(Position at, String path, String value, String expected, String reason) {
        return new ConfigException(source, at.line(), at.column(), path.isEmpty() ? "document" : path,
                value + " (expected: " + expected + ")", reason);
    }

    /**
     * SnakeYAML's messages quote the offending text with a caret under it over several lines;
     * a log line wants only the context and the problem.
     */
    private static String summary(String message) {
        if (message == null) {
            return "unreadable YAML";
        }
        List<String> parts = new ArrayList<>();
        for (String line : message.split("\n")) {
            if (!line.isBlank() && !Character.isWhitespace(line.charAt(0))) {
                parts.add(line.trim());
            }
        }
        return parts.isEmpty() ? message.trim() : String.join(": ", parts);
    }
}
