package dev.sluice.proxy.cli;

import dev.sluice.discovery.manifest.ManifestException;
import dev.sluice.discovery.manifest.ManifestReader;
import dev.sluice.discovery.manifest.Manifests;
import dev.sluice.discovery.model.Cidr;
import dev.sluice.discovery.translate.Explanation;
import dev.sluice.discovery.translate.ProxyLabels;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code sluice explain}: prints what a Sluice proxy on one node would serve, from manifests or
 * from a live cluster, without opening a single listener. Exit code 0 on success; 1 with a
 * one-line message on stderr when the input is bad (unreadable manifest, unreachable cluster,
 * contradictory options).
 *
 * <p>With {@code --status URL} it prints the live state of a running proxy instead, fetched from
 * that proxy's {@code /status} endpoint: the table it serves, the addresses it listens on and
 * those it could not bind, with their reasons.
 *
 * <p>From a cluster it lists Services and EndpointSlices in all namespaces with the selector the
 * proxy itself uses, {@value #PROXY_SELECTOR}, and gets the node (for its zone); the identity
 * needs {@code list} on services and endpointslices and {@code get} on nodes.
 */
@Command(name = "explain", mixinStandardHelpOptions = true,
        description = {"Shows the service table a Sluice proxy on a node would build: frontends, endpoints, "
                + "session affinity, and every skipped object with its reason.",
            "Reads --manifests (YAML or JSON, multi-document or kind: List), else the cluster of --kubeconfig "
                + "(or the in-cluster / default kubeconfig); --status reads a running proxy instead."})
public final class ExplainCommand implements Callable<Integer> {
    static final String PROXY_SELECTOR = ProxyLabels.SELECTOR;

    @Spec
    private CommandSpec spec;

    @Option(names = "--manifests", arity = "1..*", paramLabel = "FILE",
            description = "Manifest files to read instead of a cluster; needs --node.")
    private List<Path> manifests;

    @Option(names = "--kubeconfig", paramLabel = "PATH", description = "Kubeconfig of the cluster to read.")
    private Path kubeconfig;

    @Option(names = "--node", paramLabel = "NAME",
            description = "The node to explain for (default: $NODE_NAME, else this host's name).")
    private String node;

    @Option(names = "--nodeport-addresses", split = ",", paramLabel = "CIDR|primary",
            description = "Echoed in the output: the addresses NodePorts would be served on.")
    private List<String> nodePortAddresses;

    @Option(names = "--status", paramLabel = "URL",
            description = "Read a running proxy's live state instead, from its metrics port "
                    + "(e.g. http://127.0.0.1:10249/status): the table it serves, its listeners and bind failures.")
    private String status;

    @Option(names = "--output", defaultValue = "json", paramLabel = "json|table",
            description = "json (default) or table, a fixed-width text for people.")
    private String output;

    /** For picocli. */
    public ExplainCommand() {
    }

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        try {
            checkOutput();
            if (status != null) {
                out.print(live());
            } else {
                Explanation explanation = explain();
                out.print("table".equals(output) ? explanation.toTable() : explanation.toJson());
            }
            out.flush();
            return 0;
        } catch (BadInput | ManifestException e) {
            err.println("sluice explain: " + e.getMessage());
            err.flush();
            return 1;
        }
    }

    private void checkOutput() {
        if (!"json".equals(output) && !"table".equals(output)) {
            throw new BadInput("--output: \"" + output + "\" (expected: json or table)");
        }
    }

    /** The live state of a running proxy, as served or as a table. */
    private String live() {
        if (manifests != null || kubeconfig != null) {
            throw new BadInput("--status and " + (manifests != null ? "--manifests" : "--kubeconfig")
                    + ": both given (expected: one source)");
        }
        try {
            StatusClient.Fetched fetched = StatusClient.fetch(status);
            return "table".equals(output) ? StatusClient.table(fetched.snapshot()) : fetched.body();
        } catch (IllegalArgumentException e) {
            throw new BadInput(e.getMessage());
        }
    }

    private Explanation explain() {
        if (nodePortAddresses != null) {
            for (String address : nodePortAddresses) {
                checkNodePortAddress(address);
            }
        }
        if (manifests != null && kubeconfig != null) {
            throw new BadInput("--manifests and --kubeconfig: both given (expected: one source)");
        }
        if (manifests != null) {
            if (node == null || node.isBlank()) {
                throw new BadInput("--node: missing (expected: the node to explain for; required with --manifests)");
            }
            Manifests m = ManifestReader.read(manifests);
            return Explanation.explain(m.services(), m.slices(), m.nodes(), node, nodePortAddresses);
        }
        return fromCluster(node == null || node.isBlank() ? defaultNodeName() : node);
    }

    private Explanation fromCluster(String nodeName) {
        Config config;
        try {
            config = kubeconfig == null ? Config.autoConfigure(null) : Config.fromKubeconfig(kubeconfig.toFile());
        } catch (RuntimeException e) {
            throw new BadInput("--kubeconfig: " + kubeconfig + ": " + firstLine(e) + " (expected: a readable kubeconfig)");
        }
        config.setRequestRetryBackoffLimit(1);
        try (KubernetesClient client = new KubernetesClientBuilder().withConfig(config).build()) {
            List<Service> services = client.services().inAnyNamespace().withLabelSelector(PROXY_SELECTOR).list()
                    .getItems();
            List<EndpointSlice> slices = client.discovery().v1().endpointSlices().inAnyNamespace()
                    .withLabelSelector(PROXY_SELECTOR).list().getItems();
            Node self = readNode(client, nodeName);
            return Explanation.explain(services, slices, self == null ? List.of() : List.of(self), nodeName,
                    nodePortAddresses);
        } catch (KubernetesClientException e) {
            throw new BadInput("cluster " + config.getMasterUrl() + ": " + firstLine(e)
                    + " (expected: an API server that lets this identity list services and endpointslices)");
        }
    }

    /** The node, or {@code null} when it is unknown or unreadable: only its zone is lost. */
    private Node readNode(KubernetesClient client, String nodeName) {
        try {
            Node self = client.nodes().withName(nodeName).get();
            if (self == null) {
                warn("node " + nodeName + ": not found; zone hints are not used");
            }
            return self;
        } catch (KubernetesClientException e) {
            warn("node " + nodeName + ": " + firstLine(e) + "; zone hints are not used");
            return null;
        }
    }

    private void warn(String message) {
        spec.commandLine().getErr().println("sluice explain: warning: " + message);
    }

    private static void checkNodePortAddress(String address) {
        if ("primary".equals(address)) {
            return;
        }
        try {
            Cidr.parse(address);
        } catch (RuntimeException e) {
            throw new BadInput("--nodeport-addresses: \"" + address + "\" (expected: CIDRs, or primary)");
        }
    }

    /** $NODE_NAME, else the kernel's host name; no DNS look-up. */
    private static String defaultNodeName() {
        String env = System.getenv("NODE_NAME");
        if (env != null && !env.isBlank()) {
            return env.trim();
        }
        try {
            Path proc = Path.of("/proc/sys/kernel/hostname");
            if (Files.isReadable(proc)) {
                return Files.readString(proc).trim();
            }
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            throw new BadInput("--node: missing and the host name is unreadable (expected: --node NAME)");
        }
    }

    private static String firstLine(Exception e) {
        String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        int newline = message.indexOf('\n');
        return newline < 0 ? message : message.substring(0, newline);
    }

    /** Input the user can fix; reported in one line with exit code 1. */
    private static final class BadInput extends RuntimeException {
        private static final long serialVersionUID = 1L;

        BadInput(String message) {
            super(message);
        }
    }
}
