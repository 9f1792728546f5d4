package dev.sluice.discovery.file;

import java.util.List;
import java.util.Map;

/**
 * A YAML value with the place it was written, so validation can point at the line and column
 * of a mistake. Only what a config file needs: scalars, sequences and mappings with string keys.
 */
sealed interface YamlNode permits YamlNode.Scalar, YamlNode.Sequence, YamlNode.Mapping {

    /** Where the node starts, 1-based. */
    Position at();

    /** How the node is described in "expected" messages and when the wrong type is found. */
    String describe();

    /** A line and column, both 1-based. */
    record Position(int line, int column) {
    }

    /** What YAML's core schema made of a scalar. */
    enum Kind {
        STRING, INTEGER, FLOAT, BOOLEAN, NULL
    }

    /** A plain or quoted value; {@code text} is as written, without quotes. */
    record Scalar(String text, Kind kind, Position at) implements YamlNode {
        @Override
        public String describe() {
            return kind == Kind.STRING ? "\"" + text + "\"" : kind == Kind.NULL ? "null" : text;
        }
    }

    /** A list. */
    record Sequence(List<YamlNode> items, Position at) implements YamlNode {
        @Override
        public String describe() {
            return "a list";
        }
    }

    /** A mapping in the order written; keys are unique. */
    record Mapping(Map<String, Field> fields, Position at) implements YamlNode {
        @Override
        public String describe() {
            return "a mapping";
        }
    }

    /** One key of a mapping, with where the key was written. */
    record Field(String key, Position keyAt, YamlNode value) {
    }
}
