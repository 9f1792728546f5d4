package dev.sluice.proxy.e2e;

import dev.sluice.proxy.iface.NetworkNamespace;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real control plane (etcd, kube-apiserver, kube-controller-manager, kwok) started by
 * {@code test/k8s/up} from the binaries {@code test/k8s/build} put in the cache, and driven
 * with the real kubectl. The API server binds one address of the test's own namespace so that
 * node namespaces reach it over a veth. {@link #close()} runs {@code test/k8s/down}; if this JVM
 * dies first, the watchdog of {@code up} stops everything, and every process is bounded in time.
 */
final class RealCluster implements AutoCloseable {
    static final String VERSION = "v1.37.2";
    private static final List<String> BINARIES =
            List.of("etcd", "kube-apiserver", "kube-controller-manager", "kube-proxy", "kubectl", "kwok");

    private final Path scripts;
    private final Path dir;
    private final String bindIp;

    private RealCluster(Path scripts, Path dir, String bindIp) {
        this.scripts = scripts;
        this.dir = dir;
        this.bindIp = bindIp;
    }

    /** Why a real cluster cannot run here (no root, binaries not built), or {@code null}. */
    static String unavailableReason() {
        if ("off".equals(System.getenv("SLUICE_K8S_TESTS"))) {
            return "SLUICE_K8S_TESTS=off: the real-cluster tests run in another pass";
        }
        String namespaces = NetworkNamespace.unavailableReason();
        if (namespaces != null) {
            return namespaces;
        }
        if (scriptsDir() == null) {
            return "test/k8s/ not found above " + Path.of("").toAbsolutePath();
        }
        for (String binary : BINARIES) {
            if (!Files.isExecutable(bin().resolve(binary))) {
                return "Kubernetes binaries not built (" + bin().resolve(binary)
                        + " missing): run test/k8s/build, which needs Go";
            }
        }
        return null;
    }

    /** Why kube-proxy cannot run here (besides {@link #unavailableReason()}), or {@code null}. */
    static String kubeProxyUnavailableReason() {
        for (String dirName : List.of("/usr/sbin", "/sbin", "/usr/bin")) {
            if (Files.isExecutable(Path.of(dirName, "nft"))) {
                return null;
            }
        }
        return "nft not found (apt-get install nftables)";
    }

    static Path bin() {
        String cache = System.getenv().getOrDefault("SLUICE_K8S_CACHE",
                Path.of(System.getProperty("user.home"), ".cache", "sluice", "k8s-" + VERSION).toString());
        return Path.of(System.getenv().getOrDefault("SLUICE_K8S_BIN", Path.of(cache, "bin").toString()));
    }

    private static Path scriptsDir() {
        for (Path at = Path.of("").toAbsolutePath(); at != null; at = at.getParent()) {
            if (Files.isExecutable(at.resolve("test/k8s/up"))) {
                return at.resolve("test/k8s");
            }
        }
        return null;
    }

    /** Runs {@code test/k8s/up dir} with the API server on {@code bindIp}; waits for READY. */
    static RealCluster start(Path dir, String bindIp) throws IOException, InterruptedException {
        RealCluster cluster = new RealCluster(scriptsDir(), dir, bindIp);
        try {
            cluster.up();
            return cluster;
        } catch (IOException | RuntimeException e) {
            cluster.close();
            throw e;
        }
    }

    private void up() throws IOException, InterruptedException {
        String out = run(List.of(scripts.resolve("up").toString(), dir.toString()), null, 300);
        if (!out.contains("READY kubeconfig=")) {
            throw new IllegalStateException("test/k8s/up printed no READY line: " + out);
        }
    }

    Path dir() {
        return dir;
    }

    /** The cluster-admin kubeconfig (client certificate). */
    Path kubeconfig() {
        return dir.resolve("kubeconfig");
    }

    /** Runs kubectl as cluster-admin; returns standard output, fails with standard error. */
    String kubectl(String... args) throws IOException, InterruptedException {
        return kubectlWithInput(null, args);
    }

    /** Runs kubectl with {@code input} on standard input (e.g. {@code apply -f -}). */
    String kubectlWithInput(String input, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(bin().resolve("kubectl").toString(),
                "--kubeconfig", kubeconfig().toString()));
        command.addAll(List.of(args));
        return run(command, input, 60);
    }

    /**
     * Applies {@code deploy/}'s ServiceAccount, ClusterRole and binding (namespace default) and
     * writes a kubeconfig with a token of that ServiceAccount: Sluice's own identity, not admin.
     */
    Path serviceAccountKubeconfig() throws IOException, InterruptedException {
        Path deploy = scripts.getParent().getParent().resolve("deploy");
        for (String file : List.of("serviceaccount.yaml", "clusterrole.yaml", "clusterrolebinding.yaml")) {
            kubectl("apply", "-n", "default", "-f", deploy.resolve(file).toString());
        }
        String token = kubectl("create", "token", "sluice", "-n", "default", "--duration", "2h").trim();
        String yaml = String.join("\n",
                "apiVersion: v1",
                "kind: Config",
                "clusters:",
                "- name: real",
                "  cluster:",
                "    server: " + server(),
                "    certificate-authority: " + dir.resolve("pki/ca.crt"),
                "contexts:",
                "- name: real",
                "  context:",
                "    cluster: real",
                "    user: sluice",
                "current-context: real",
                "users:",
                "- name: sluice",
                "  user:",
                "    token: " + token,
                "");
        return Files.writeString(dir.resolve("sluice.kubeconfig"), yaml);
    }

    String server() throws IOException {
        for (String line : Files.readAllLines(dir.resolve("ports"))) {
            if (line.startsWith("api=")) {
                return "https://" + bindIp + ":" + line.substring(4);
            }
        }
        throw new IllegalStateException(dir.resolve("ports") + ": no api= line");
    }

    /** Stops one component ({@code kube-apiserver}, {@code etcd}, ...) by its PID. */
    void stop(String component) throws IOException, InterruptedException {
        run(List.of(scripts.resolve("down").toString(), dir.toString(), component), null, 30);
    }

    /** Starts again whatever is not running, with the same ports, certificates and data. */
    void startStopped() throws IOException, InterruptedException {
        up();
    }

    /** Starts the real kube-proxy (nftables) in {@code netns} for Node {@code node}. */
    void startKubeProxy(String netns, String node, String... flags) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(scripts.resolve("kube-proxy").toString(), dir.toString(), netns, node));
        command.addAll(List.of(flags));
        String out = run(command, null, 90);
        if (!out.contains("READY kube-proxy")) {
            throw new IllegalStateException("test/k8s/kube-proxy printed no READY line: " + out);
        }
    }

    private String run(List<String> command, String input, long seconds) throws IOException, InterruptedException {
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().keySet().removeIf(k -> k.startsWith("KUBERNETES_") || k.equals("KUBECONFIG"));
        builder.environment().put("SLUICE_K8S_BIND", bindIp);
        builder.environment().put("SLUICE_K8S_OWNER_PID", Long.toString(ProcessHandle.current().pid()));
        builder.environment().put("SLUICE_K8S_COMPACTION", "10s");
        Path out = Files.createTempFile(dir.getParent(), "cmd", ".out");
        Path err = Files.createTempFile(dir.getParent(), "cmd", ".err");
        builder.redirectOutput(out.toFile()).redirectError(err.toFile());
        Process process = builder.start();
        try (OutputStream stdin = process.getOutputStream()) {
            if (input != null) {
                stdin.write(input.getBytes(StandardCharsets.UTF_8));
            }
        }
        if (!process.waitFor(seconds, TimeUnit.SECONDS)) {
            process.descendants().forEach(ProcessHandle::destroy);
            process.destroyForcibly();
            throw new IllegalStateException(String.join(" ", command) + ": no exit within " + seconds + " s");
        }
        String stdout = Files.readString(out);
        String stderr = Files.readString(err);
        Files.delete(out);
        Files.delete(err);
        if (process.exitValue() != 0) {
            throw new IllegalStateException(String.join(" ", command) + " exited " + process.exitValue() + ": " + stderr.trim());
        }
        return stdout;
    }

    /** Stops every process of this cluster (kube-proxies included); keeps the directory for a look. */
    @Override
    public void close() {
        try {
            run(List.of(scripts.resolve("down").toString(), dir.toString()), null, 120);
        } catch (IOException | RuntimeException e) {
            System.err.println("test/k8s/down " + dir + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
