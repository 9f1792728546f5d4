package dev.sluice.proxy.e2e;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * One Service without selector and its hand-written EndpointSlices, as kube-proxy and Sluice
 * both read them: the shape of a case is drawn from a {@link Random}, so a seed names a whole set.
 * Addresses: endpoints in 198.18.128.0/17, LoadBalancer ingress in 198.18.32.0/20 and external
 * IPs in 198.18.48.0/20, unique per case index (up to 1900 cases); kwok's Pods use 198.18.64.0/18. Node {@code node-a} (zone {@code zone-a}) is the
 * node both proxies run as; {@code node-b} (zone {@code zone-b}) is elsewhere.
 */
record OracleCase(String name, String yaml, String loadBalancerIp, List<String> sourceRanges) {
    static final String NAMESPACE = "oracle";

    /** Hints on the endpoints of a case: none, all zone, all node, or some only (which disables them). */
    enum Hints { NONE, ZONE, NODE, PARTIAL }

    /** The knobs of one case; {@link #random} draws them, the fixed cases set them by hand. */
    record Shape(String type, int ports, boolean udp, boolean internalLocal, boolean externalLocal,
                 boolean allocateNodePorts, boolean loadBalancerIp, boolean sourceRanges, boolean externalIp,
                 int slices, int endpointsPerSlice, Hints hints, double notReady, double terminating,
                 double local, boolean duplicates) {

        static Shape random(Random r) {
            String type = List.of("ClusterIP", "NodePort", "LoadBalancer").get(r.nextInt(3));
            boolean external = !type.equals("ClusterIP");
            return new Shape(type, 1 + r.nextInt(2), r.nextInt(5) == 0, r.nextInt(4) == 0,
                    external && r.nextInt(3) == 0, !type.equals("LoadBalancer") || r.nextInt(3) != 0,
                    type.equals("LoadBalancer") && r.nextInt(4) != 0, r.nextBoolean(), r.nextInt(8) == 0,
                    r.nextInt(4), r.nextInt(5), Hints.values()[r.nextInt(4)], r.nextDouble() * 0.6,
                    r.nextDouble() * 0.5, r.nextDouble(), r.nextInt(5) == 0);
        }
    }

    static OracleCase of(int index, Shape shape, Random r) {
        String name = "o-" + index;
        StringBuilder yaml = new StringBuilder();
        List<String> portNames = new ArrayList<>();
        for (int p = 0; p < shape.ports(); p++) {
            portNames.add(shape.ports() == 1 && r.nextBoolean() ? "" : "p" + p);
        }
        String protocol = shape.udp() ? "UDP" : "TCP";
        yaml.append("apiVersion: v1\nkind: Service\nmetadata: {name: ").append(name).append(", namespace: ")
                .append(NAMESPACE).append("}\nspec:\n  type: ").append(shape.type()).append('\n');
        if (shape.internalLocal()) {
            yaml.append("  internalTrafficPolicy: Local\n");
        }
        if (shape.externalLocal()) {
            yaml.append("  externalTrafficPolicy: Local\n");
        }
        if (shape.type().equals("LoadBalancer") && !shape.allocateNodePorts()) {
            yaml.append("  allocateLoadBalancerNodePorts: false\n");
        }
        List<String> ranges = new ArrayList<>();
        if (shape.type().equals("LoadBalancer") && shape.sourceRanges()) {
            ranges.add("198.18.1.2/32");
            yaml.append("  loadBalancerSourceRanges: [\"198.18.1.2/32\"]\n");
        }
        if (shape.externalIp()) {
            yaml.append("  externalIPs: [\"").append(unique(48, index)).append("\"]\n");
        }
        yaml.append("  ports:\n");
        for (int p = 0; p < shape.ports(); p++) {
            yaml.append("  - {name: \"").append(portNames.get(p)).append("\", protocol: ").append(protocol)
                    .append(", port: ").append(80 + p).append(", targetPort: ").append(8080 + p).append("}\n");
        }
        yaml.append("---\n");
        // Addresses listed once so far, with whether that copy is terminating: a second copy is
        // drawn only from these, and terminates exactly when the first does not. kube-proxy's
        // result is defined only then ("if there are multiple non-terminating pods with the same
        // podIP, then the result is undefined": it depends on Go's map order over slices).
        Map<String, Boolean> once = new LinkedHashMap<>();
        for (int s = 0; s < shape.slices(); s++) {
            yaml.append("apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata:\n  name: ").append(name)
                    .append('-').append(s).append("\n  namespace: ").append(NAMESPACE)
                    .append("\n  labels: {kubernetes.io/service-name: ").append(name)
                    .append(", endpointslice.kubernetes.io/managed-by: sluice-oracle}\naddressType: IPv4\nports:\n");
            for (int p = 0; p < shape.ports(); p++) {
                yaml.append("- {name: \"").append(portNames.get(p)).append("\", protocol: ").append(protocol)
                        .append(", port: ").append(8080 + p).append("}\n");
            }
            yaml.append("endpoints:\n");
            if (shape.endpointsPerSlice() == 0) {
                yaml.setLength(yaml.length() - 1);
                yaml.append(" []\n");
            }
            for (int e = 0; e < shape.endpointsPerSlice(); e++) {
                if (shape.duplicates() && !once.isEmpty() && r.nextInt(3) == 0) {
                    String ip = new ArrayList<>(once.keySet()).get(r.nextInt(once.size()));
                    endpoint(yaml, ip, !once.remove(ip), shape, r);
                } else {
                    String ip = "198.18." + (128 + (index * 16 + s * 5 + e) / 250 % 127) + "."
                            + ((index * 16 + s * 5 + e) % 250 + 1);
                    boolean terminating = r.nextDouble() < shape.terminating();
                    once.put(ip, terminating);
                    endpoint(yaml, ip, terminating, shape, r);
                }
            }
            yaml.append("---\n");
        }
        String lb = shape.loadBalancerIp() ? unique(32, index) : null;
        return new OracleCase(name, yaml.toString(), lb, ranges);
    }

    /** The address number {@code n} of the /20 at 198.18.{@code base}.0: unique per case up to 4000 cases. */
    private static String unique(int base, int n) {
        return "198.18." + (base + n / 250) + "." + (n % 250 + 1);
    }

    private static void endpoint(StringBuilder yaml, String ip, boolean terminating, Shape shape, Random r) {
        boolean local = r.nextDouble() < shape.local();
        boolean ready = !terminating && r.nextDouble() >= shape.notReady();
        yaml.append("- addresses: [\"").append(ip).append("\"]\n  conditions: {");
        List<String> conditions = new ArrayList<>();
        // Unset conditions have defaults (ready and serving true, terminating false): draw both forms.
        if (!ready || r.nextBoolean()) {
            conditions.add("ready: " + ready);
        }
        if (terminating || r.nextBoolean()) {
            conditions.add("serving: " + (terminating ? r.nextBoolean() : ready || r.nextBoolean()));
        }
        if (terminating || r.nextBoolean()) {
            conditions.add("terminating: " + terminating);
        }
        yaml.append(String.join(", ", conditions)).append("}\n");
        int nodeChoice = r.nextInt(10);
        String node = local ? "node-a" : nodeChoice == 0 ? null : "node-b";
        if (node != null) {
            yaml.append("  nodeName: ").append(node).append('\n');
        }
        Hints hints = shape.hints() == Hints.PARTIAL ? (r.nextBoolean() ? Hints.ZONE : Hints.NONE) : shape.hints();
        String zone = r.nextBoolean() ? "zone-a" : "zone-b";
        String hintNode = r.nextBoolean() ? "node-a" : "node-b";
        if (hints == Hints.ZONE) {
            yaml.append("  hints: {forZones: [{name: ").append(zone).append("}]}\n");
        } else if (hints == Hints.NODE) {
            yaml.append("  hints: {forNodes: [{name: ").append(hintNode).append("}], forZones: [{name: ").append(zone)
                    .append("}]}\n");
        }
    }
}
