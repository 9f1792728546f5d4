package dev.sluice.benchmarks.scale;

import java.util.Locale;

/**
 * The cluster of the scale benchmark as JSON, written the way kube-apiserver returns it:
 * Service {@code svc-i} (ClusterIP {@link #clusterIp}, port {@code http} 80) and its one
 * EndpointSlice of {@code endpoints} ready pods on port 8080 across three nodes, each object with
 * the metadata a real cluster carries (uid, timestamps, labels, owner reference, a
 * {@code managedFields} entry, target references, ...), so that what an informer caches is of
 * realistic size. One probe Service can be pointed at given backend addresses.
 *
 * <p>Addresses: ClusterIPs from 198.18.0.0/16 (i + 1, up to 65,000 Services: 198.18.254.0/24 is left for backends), pod IPs from
 * 198.19.0.0/16; beyond 65,536 pods the port (8080 + pod / 65,536) keeps endpoints distinct.
 */
public final class ScaleObjects {
    public static final String NAMESPACE = "scale";
    public static final String NODE = "node-0";
    static final int MAX_SERVICES = 65_000;
    private static final String[] NODES = {"node-0", "node-1", "node-2"};

    private ScaleObjects() {
    }

    /** The ClusterIP of {@code svc-i}. */
    public static String clusterIp(int i) {
        if (i < 0 || i >= MAX_SERVICES) {
            throw new IllegalArgumentException("service index: " + i + " (expected: 0.." + (MAX_SERVICES - 1) + ")");
        }
        int n = i + 1;
        return "198.18." + (n >>> 8) + "." + (n & 255);
    }

    /** Pod {@code pod}'s address and port. */
    static String podAddress(long pod) {
        int low = (int) (pod & 0xffff);
        return "198.19." + (low >>> 8) + "." + (low & 255);
    }

    static int podPort(long pod) {
        return 8080 + (int) (pod >>> 16);
    }

    public static String service(int i, long resourceVersion) {
        String name = "svc-" + i;
        return "{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{"
                + "\"annotations\":{\"kubectl.kubernetes.io/last-applied-configuration\":"
                + "\"{\\\"apiVersion\\\":\\\"v1\\\",\\\"kind\\\":\\\"Service\\\",\\\"metadata\\\":{\\\"name\\\":\\\""
                + name + "\\\",\\\"namespace\\\":\\\"" + NAMESPACE + "\\\"},\\\"spec\\\":{\\\"ports\\\":[{\\\"name\\\":"
                + "\\\"http\\\",\\\"port\\\":80,\\\"targetPort\\\":\\\"http\\\"}],\\\"selector\\\":{\\\"app\\\":\\\""
                + name + "\\\"}}}\\n\"},"
                + "\"creationTimestamp\":\"2026-12-01T00:00:00Z\",\"labels\":{\"app\":\"" + name
                + "\",\"app.kubernetes.io/part-of\":\"scale\"},"
                + managedFields("kubectl-client-side-apply", "v1",
                        "{\"f:metadata\":{\"f:annotations\":{\".\":{},"
                        + "\"f:kubectl.kubernetes.io/last-applied-configuration\":{}},\"f:labels\":{\".\":{},\"f:app\":{}}},"
                        + "\"f:spec\":{\"f:internalTrafficPolicy\":{},\"f:ports\":{\".\":{},"
                        + "\"k:{\\\"port\\\":80,\\\"protocol\\\":\\\"TCP\\\"}\":{}},"
                        + "\"f:selector\":{},\"f:sessionAffinity\":{},\"f:type\":{}}}")
                + ",\"name\":\"" + name + "\",\"namespace\":\"" + NAMESPACE + "\",\"resourceVersion\":\""
                + resourceVersion + "\",\"uid\":\"" + uid(1, i) + "\"},"
                + "\"spec\":{\"clusterIP\":\"" + clusterIp(i) + "\",\"clusterIPs\":[\"" + clusterIp(i) + "\"],"
                + "\"internalTrafficPolicy\":\"Cluster\",\"ipFamilies\":[\"IPv4\"],\"ipFamilyPolicy\":\"SingleStack\","
                + "\"ports\":[{\"name\":\"http\",\"port\":80,\"protocol\":\"TCP\",\"targetPort\":\"http\"}],"
                + "\"selector\":{\"app\":\"" + name + "\"},\"sessionAffinity\":\"None\",\"type\":\"ClusterIP\"},"
                + "\"status\":{\"loadBalancer\":{}}}";
    }

    /**
     * The slice of {@code svc-i}: {@code endpoints} pods, or when {@code backends} is given, one
     * endpoint per backend address (port 8080).
     */
    public static String slice(int i, int endpoints, String[] backends, long resourceVersion) {
        String name = "svc-" + i;
        StringBuilder json = new StringBuilder(600 + endpoints * 420);
        json.append("{\"addressType\":\"IPv4\",\"apiVersion\":\"discovery.k8s.io/v1\",\"endpoints\":[");
        int count = backends == null ? endpoints : backends.length;
        for (int e = 0; e < count; e++) {
            long pod = (long) i * endpoints + e;
            String address = backends == null ? podAddress(pod) : backends[e];
            String node = NODES[e % NODES.length];
            json.append(e == 0 ? "" : ",")
                    .append("{\"addresses\":[\"").append(address).append("\"],")
                    .append("\"conditions\":{\"ready\":true,\"serving\":true,\"terminating\":false},")
                    .append("\"nodeName\":\"").append(node).append("\",")
                    .append("\"targetRef\":{\"kind\":\"Pod\",\"name\":\"").append(name).append("-7d9f8b6c5-")
                    .append(String.format(Locale.ROOT, "%05x", e)).append("\",\"namespace\":\"").append(NAMESPACE)
                    .append("\",\"uid\":\"").append(uid(3, pod)).append("\"},")
                    .append("\"zone\":\"zone-").append(e % NODES.length).append("\"}");
        }
        int port = backends == null ? podPort((long) i * endpoints) : 8080;
        json.append("],\"kind\":\"EndpointSlice\",\"metadata\":{")
                .append("\"annotations\":{\"endpoints.kubernetes.io/last-change-trigger-time\":\"2026-12-01T00:00:00Z\"},")
                .append("\"creationTimestamp\":\"2026-12-01T00:00:00Z\",\"generateName\":\"").append(name).append("-\",")
                .append("\"generation\":1,\"labels\":{\"app\":\"").append(name).append("\",")
                .append("\"endpointslice.kubernetes.io/managed-by\":\"endpointslice-controller.k8s.io\",")
                .append("\"kubernetes.io/service-name\":\"").append(name).append("\"},")
                .append(managedFields("kube-controller-manager", "discovery.k8s.io/v1",
                        "{\"f:addressType\":{},\"f:endpoints\":{},\"f:metadata\":{\"f:annotations\":{\".\":{},"
                        + "\"f:endpoints.kubernetes.io/last-change-trigger-time\":{}},\"f:generateName\":{},"
                        + "\"f:labels\":{\".\":{},\"f:app\":{},\"f:endpointslice.kubernetes.io/managed-by\":{},"
                        + "\"f:kubernetes.io/service-name\":{}},\"f:ownerReferences\":{\".\":{},"
                        + "\"k:{\\\"uid\\\":\\\"" + uid(1, i) + "\\\"}\":{}}},\"f:ports\":{}}"))
                .append(",\"name\":\"").append(name).append("-x1").append("\",\"namespace\":\"").append(NAMESPACE).append("\",")
                .append("\"ownerReferences\":[{\"apiVersion\":\"v1\",\"blockOwnerDeletion\":true,\"controller\":true,")
                .append("\"kind\":\"Service\",\"name\":\"").append(name).append("\",\"uid\":\"").append(uid(1, i)).append("\"}],")
                .append("\"resourceVersion\":\"").append(resourceVersion).append("\",\"uid\":\"").append(uid(2, i)).append("\"},")
                .append("\"ports\":[{\"name\":\"http\",\"port\":").append(port).append(",\"protocol\":\"TCP\"}]}");
        return json.toString();
    }

    public static String node(long resourceVersion) {
        return "{\"apiVersion\":\"v1\",\"kind\":\"Node\",\"metadata\":{\"labels\":{\"kubernetes.io/hostname\":\"" + NODE
                + "\",\"topology.kubernetes.io/zone\":\"zone-0\"},\"name\":\"" + NODE + "\",\"resourceVersion\":\""
                + resourceVersion + "\",\"uid\":\"" + uid(4, 0) + "\"},\"spec\":{},\"status\":{}}";
    }

    private static String managedFields(String manager, String apiVersion, String fields) {
        return "\"managedFields\":[{\"apiVersion\":\"" + apiVersion + "\",\"fieldsType\":\"FieldsV1\",\"fieldsV1\":"
                + fields + ",\"manager\":\"" + manager
                + "\",\"operation\":\"Update\",\"time\":\"2026-12-01T00:00:00Z\"}]";
    }

    private static String uid(int kind, long n) {
        return String.format(Locale.ROOT, "%08x-0000-4000-8000-%012x", kind, n);
    }
}
