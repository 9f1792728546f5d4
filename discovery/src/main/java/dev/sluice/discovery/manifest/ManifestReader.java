package dev.sluice.discovery.manifest;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import tools.jackson.core.JacksonException;
import tools.jackson.core.TokenStreamLocation;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.MappingIterator;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.dataformat.yaml.YAMLMapper;

/**
 * Reads Services, EndpointSlices and Nodes from manifests, each file one YAML stream: one or
 * more documents ({@code ---}), each written as YAML or JSON, and each a single object, a
 * {@code kind: List} (or {@code ServiceList} etc.) with {@code items}, as {@code kubectl get -o
 * yaml} prints, or a top-level array.
 * Objects of other kinds are ignored. A Service or EndpointSlice without a namespace is put in
 * {@code default}, as {@code kubectl apply} would.
 *
 * <p>Anything unreadable throws a {@link ManifestException} naming the file, the document
 * (1-based) and what was expected; nothing is returned from a file that has an error.
 */
public final class ManifestReader {
    private static final ObjectMapper YAML = new YAMLMapper();
    private static final ObjectMapper JSON = new JsonMapper();
    private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();

    private ManifestReader() {
    }

    /** Reads every file, in order. */
    public static Manifests read(List<Path> files) {
        Collector collector = new Collector();
        for (Path file : files) {
            String text;
            try {
                text = Files.readString(file, StandardCharsets.UTF_8);
            } catch (IOException | RuntimeException e) {
                throw new ManifestException(file + ": cannot be read: " + e.getMessage()
                        + " (expected: a readable YAML or JSON file)", e);
            }
            collector.read(file.toString(), text);
        }
        return collector.manifests();
    }

    /** Reads one manifest's text; {@code source} names it in errors. */
    public static Manifests read(String source, String text) {
        Collector collector = new Collector();
        collector.read(source, text);
        return collector.manifests();
    }

    private static final class Collector {
        private final List<Service> services = new ArrayList<>();
        private final List<EndpointSlice> slices = new ArrayList<>();
        private final List<Node> nodes = new ArrayList<>();

        /**
         * Reads the text as one YAML stream, whatever its first character: a JSON object is a YAML
         * document, so JSON documents between {@code ---} lines read like any others, as they do
         * for {@code kubectl apply -f}. YAML forbids one thing JSON allows, tabs before a token
         * at the start of a line: a file that is not YAML but is a stream of JSON values is
         * read as JSON instead, as it always was.
         */
        void read(String source, String text) {
            List<JsonNode> documents;
            try {
                documents = documents(YAML, text);
            } catch (DocumentException yaml) {
                documents = jsonStream(text);
                if (documents == null) {
                    JacksonException e = yaml.cause;
                    throw new ManifestException(source + ": document " + yaml.document + ": " + location(e)
                            + firstLine(e.getOriginalMessage()) + " (expected: valid YAML or JSON)", e);
                }
            }
            for (int i = 0; i < documents.size(); i++) {
                document(source + ": document " + (i + 1), documents.get(i));
            }
        }

        /** The text as a stream of JSON values, or {@code null} when it is not one. */
        private static List<JsonNode> jsonStream(String text) {
            String start = text.stripLeading();
            if (!start.startsWith("{") && !start.startsWith("[")) {
                return null;
            }
            try {
                return documents(JSON, text);
            } catch (DocumentException e) {
                return null;
            }
        }

        private static List<JsonNode> documents(ObjectMapper mapper, String text) {
            List<JsonNode> documents = new ArrayList<>();
            try (MappingIterator<JsonNode> values = mapper.readerFor(JsonNode.class).readValues(text)) {
                while (true) {
                    try {
                        if (!values.hasNextValue()) {
                            return documents;
                        }
                        documents.add(values.nextValue());
                    } catch (JacksonException e) {
                        throw new DocumentException(documents.size() + 1, e);
                    }
                }
            }
        }

        private void document(String where, JsonNode node) {
            if (node == null || node.isNull() || node.isMissingNode()) {
                return; // an empty document between two "---"
            }
            if (node.isArray()) {
                items(where, node);
                return;
            }
            if (!node.isObject()) {
                throw new ManifestException(where + ": " + describe(node)
                        + " (expected: a Kubernetes object with apiVersion and kind)");
            }
            String kind = node.path("kind").asString("");
            String apiVersion = node.path("apiVersion").asString("");
            if (kind.isEmpty() || apiVersion.isEmpty()) {
                throw new ManifestException(where + ": kind: \"" + kind + "\", apiVersion: \"" + apiVersion
                        + "\" (expected: a Kubernetes object with apiVersion and kind)");
            }
            if (kind.endsWith("List") && node.has("items")) {
                items(where, node.get("items"));
                return;
            }
            switch (kind) {
                case "Service" -> services.add(namespaced(convert(where, node, apiVersion, "v1", Service.class)));
                case "EndpointSlice" -> slices.add(namespaced(
                        convert(where, node, apiVersion, "discovery.k8s.io/v1", EndpointSlice.class)));
                case "Node" -> nodes.add(convert(where, node, apiVersion, "v1", Node.class));
                default -> {
                    // Deployments, ConfigMaps, ...: not a proxy's business.
                }
            }
        }

        private void items(String where, JsonNode items) {
            if (!items.isArray()) {
                throw new ManifestException(where + ": items: " + describe(items) + " (expected: a list of objects)");
            }
            for (int i = 0; i < items.size(); i++) {
                document(where + ", item " + (i + 1), items.get(i));
            }
        }

        Manifests manifests() {
            return new Manifests(services, slices, nodes);
        }
    }

    private static <T> T convert(String where, JsonNode node, String apiVersion, String expectedVersion, Class<T> type) {
        String kind = type.getSimpleName();
        if (!expectedVersion.equals(apiVersion)) {
            throw new ManifestException(where + ": " + kind + " apiVersion: \"" + apiVersion + "\" (expected: "
                    + expectedVersion + ")");
        }
        try {
            return SERIALIZATION.convertValue(node, type);
        } catch (RuntimeException e) {
            throw new ManifestException(where + ": " + kind + ": " + firstLine(e.getMessage()) + " (expected: a valid "
                    + expectedVersion + " " + kind + ")", e);
        }
    }

    private static <T extends HasMetadata> T namespaced(T object) {
        if (object.getMetadata() != null
                && (object.getMetadata().getNamespace() == null || object.getMetadata().getNamespace().isEmpty())) {
            object.getMetadata().setNamespace("default");
        }
        return object;
    }

    private static String describe(JsonNode node) {
        String text = node.toString();
        return node.getNodeType().toString().toLowerCase(Locale.ROOT) + " "
                + (text.length() > 40 ? text.substring(0, 40) + "..." : text);
    }

    private static String location(JacksonException e) {
        TokenStreamLocation where = e.getLocation();
        if (where == null || where.getLineNr() < 1) {
            return "";
        }
        return "line " + where.getLineNr() + ", column " + where.getColumnNr() + ": ";
    }

    private static String firstLine(String message) {
        if (message == null) {
            return "unreadable";
        }
        int newline = message.indexOf('\n');
        return newline < 0 ? message : message.substring(0, newline);
    }

    /** A document of a stream that cannot be parsed, numbered from 1. */
    private static final class DocumentException extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final int document;
        final transient JacksonException cause;

        DocumentException(int document, JacksonException cause) {
            super(cause);
            this.document = document;
            this.cause = cause;
        }
    }
}
