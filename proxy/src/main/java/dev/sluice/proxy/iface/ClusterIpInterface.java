package dev.sluice.proxy.iface;

import dev.sluice.discovery.model.Addresses;
import dev.sluice.discovery.model.BackendTable;
import dev.sluice.discovery.model.Frontend;
import dev.sluice.discovery.model.FrontendType;
import dev.sluice.discovery.model.ServiceEntry;
import dev.sluice.discovery.model.ServicePortKey;
import dev.sluice.discovery.model.TableChange;
import dev.sluice.discovery.model.TableListener;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps every ClusterIP, LoadBalancer ingress IP and external IP of the published table as a
 * host address (/32, /128) on one interface, so that listeners can bind them and the node
 * delivers packets for them locally: the technique of kube-proxy's IPVS mode and its
 * {@code kube-ipvs0} interface. NodePort and standalone listen addresses are not touched.
 *
 * <p>Usage: construct with the interface name ({@code sluice0} in the DaemonSet) and
 * {@link IpCommand#system()}, call {@link #start()}, then register it on the
 * {@code TablePublisher} <em>before</em> the listener set, so an address exists before a
 * listener binds it; {@link #close()} on shutdown removes what it added.
 *
 * <p>{@link #start()} creates a dummy interface ({@code ip link add NAME type dummy}). When the
 * kernel has no dummy driver the addresses go on {@code lo} instead, marked so that exactly
 * Sluice's addresses are removed later (see {@link HostDevice}). Addresses a previous run left
 * behind (it crashed, or was killed) are adopted at start and removed by the first table unless
 * it still wants them, so a restart never takes away an address that stays in use. The first
 * table is reconciled in full; later ones only for {@link TableChange#changed()} keys, with a
 * count per address of the entries that want it, so an address two services share stays
 * until the last one goes.
 *
 * <p>A failed change of one address is logged and counted ({@link #failedChanges()}) and
 * retried with the next table; it never stops the others. Without {@code CAP_NET_ADMIN},
 * {@link #start()} fails with a message that says so.
 *
 * <p>On a real node, set {@code net.ipv4.conf.all.arp_ignore=1} and
 * {@code net.ipv4.conf.all.arp_announce=2} (as kube-proxy's IPVS strict ARP does; see
 * {@link StrictArp}): otherwise Linux answers ARP on the node's network interface for these
 * addresses, and the node steals the LoadBalancer IPs of other nodes' Services.
 *
 * <p>Thread safety: the mutating methods are synchronised (they run a child process, never on
 * the data path); {@link #heldAddresses()} reads a snapshot without locking.
 */
public final class ClusterIpInterface implements TableListener, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ClusterIpInterface.class);
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_.-]{1," + HostDevice.MAX_NAME + "}");
    private static final Set<FrontendType> HELD_TYPES =
            Set.of(FrontendType.CLUSTER_IP, FrontendType.LOAD_BALANCER, FrontendType.EXTERNAL_IP);

    private final String name;
    private final IpCommand ip;
    private final Predicate<ServicePortKey> heldKeys;
    private final AtomicLong failedChanges = new AtomicLong();

    /** Written under this object's monitor; read by status pages without locking. */
    private volatile HostDevice device;
    // Guarded by this.
    private BackendTable seen;
    private final Map<InetAddress, Integer> wanted = new HashMap<>();
    private final Set<InetAddress> held = new HashSet<>();
    private final Set<InetAddress> foreign = new HashSet<>();
    private final Set<InetAddress> retry = new HashSet<>();

    /** Replaced after every change; read by status pages without locking. */
    private volatile Set<InetAddress> heldSnapshot = Set.of();

    /**
     * @param name the dummy interface to create, 1..15 of {@code [A-Za-z0-9_.-]}
     * @param ip   how {@code ip} is run
     */
    public ClusterIpInterface(String name, IpCommand ip) {
        this(name, ip, key -> true);
    }

    /**
     * As {@link #ClusterIpInterface(String, IpCommand)}, holding the addresses of only the service
     * ports {@code heldKeys} accepts: with {@code --capture tproxy}, captured ports need none.
     */
    public ClusterIpInterface(String name, IpCommand ip, Predicate<ServicePortKey> heldKeys) {
        this.heldKeys = Objects.requireNonNull(heldKeys, "heldKeys");
        if (name == null || !NAME.matcher(name).matches() || name.equals("lo")) {
            throw new IllegalArgumentException("cluster-ip-interface: " + name
                    + " (expected: an interface name of 1.." + HostDevice.MAX_NAME + " letters, digits, '_', '.', '-', not lo)");
        }
        this.name = name;
        this.ip = Objects.requireNonNull(ip, "ip");
    }

    /**
     * Creates the interface (or falls back to {@code lo}) and adopts the addresses a previous
     * run left on it.
     *
     * @throws IllegalStateException saying what is missing, e.g. {@code CAP_NET_ADMIN}
     */
    public synchronized void start() {
        if (device != null) {
            throw new IllegalStateException("interface " + name + ": already started");
        }
        IpCommand.Result created = ip.run(List.of("link", "add", name, "type", "dummy"));
        String error = created.stderr().trim();
        if (created.ok()) {
            device = HostDevice.dummy(name);
        } else if (BatchOutcome.notPermitted(error)) {
            throw capabilityNeeded("ip link add " + name + " type dummy", error);
        } else if (error.contains("Unknown device type")) {
            device = HostDevice.loopbackFor(name);
            log.warn("interface {}: this kernel has no dummy interface driver; holding service addresses on lo,"
                    + " marked with label {} (IPv4) and metric {} (IPv6)", name, device.label(), device.metric());
        } else if (BatchOutcome.alreadyAssigned(error)) {
            requireDummy();
            device = HostDevice.dummy(name);
        } else {
            throw new IllegalStateException("interface " + name + ": ip link add failed: " + error);
        }
        if (!device.loopback()) {
            IpCommand.Result up = ip.run(List.of("link", "set", name, "up"));
            if (!up.ok()) {
                throw new IllegalStateException("interface " + name + ": ip link set up failed: " + up.stderr().trim());
            }
        }
        adoptLeftovers();
    }

    private void requireDummy() {
        IpCommand.Result shown = ip.run(List.of("-d", "-o", "link", "show", "dev", name));
        if (!shown.ok() || !shown.stdout().contains(" dummy ")) {
            throw new IllegalStateException("interface: " + name
                    + " exists and is not a dummy interface (expected: a free name or Sluice's dummy interface)");
        }
    }

    private void adoptLeftovers() {
        IpCommand.Result listed = ip.run(List.of("-o", "addr", "show", "dev", device.device()));
        if (!listed.ok()) {
            throw new IllegalStateException("interface " + name + ": ip addr show failed: " + listed.stderr().trim());
        }
        for (ListedAddress address : ListedAddress.parse(listed.stdout())) {
            if (device.isOurs(address)) {
                held.add(address.address());
            }
        }
        if (!held.isEmpty()) {
            log.info("interface {}: {} addresses left by a previous run on {}; the first table removes those it does not use",
                    name, held.size(), device.device());
        }
        publishSnapshot();
    }

    @Override
    public synchronized void onTable(TableChange change) {
        if (device == null) {
            throw new IllegalStateException("interface " + name + ": onTable before start()");
        }
        Set<InetAddress> touched = new HashSet<>(retry);
        retry.clear();
        if (seen == null || change.previous() != seen) {
            wanted.clear();
            for (ServiceEntry entry : change.current().entries()) {
                count(addressesOf(entry), 1, touched);
            }
            touched.addAll(held);
            touched.addAll(foreign);
        } else {
            for (ServicePortKey key : change.changed()) {
                count(addressesOf(change.previous().get(key)), -1, touched);
                count(addressesOf(change.current().get(key)), 1, touched);
            }
        }
        seen = change.current();
        reconcile(touched, change.current());
    }

    /** Whether a frontend's address is kept on the interface. */
    static boolean holds(Frontend frontend) {
        return HELD_TYPES.contains(frontend.type()) && frontend.address() != null;
    }

    private Set<InetAddress> addressesOf(ServiceEntry entry) {
        if (entry == null || !heldKeys.test(entry.key())) {
            return Set.of();
        }
        Set<InetAddress> addresses = new HashSet<>();
        for (Frontend frontend : entry.frontends()) {
            if (holds(frontend)) {
                addresses.add(frontend.address());
            }
        }
        return addresses;
    }

    private void count(Set<InetAddress> addresses, int delta, Set<InetAddress> touched) {
        for (InetAddress address : addresses) {
            int next = wanted.getOrDefault(address, 0) + delta;
            if (next > 0) {
                wanted.put(address, next);
            } else {
                wanted.remove(address);
            }
            touched.add(address);
        }
    }

    private void reconcile(Set<InetAddress> touched, BackendTable table) {
        List<InetAddress> removals = new ArrayList<>();
        List<InetAddress> additions = new ArrayList<>();
        for (InetAddress address : touched) {
            boolean want = wanted.containsKey(address);
            if (!want) {
                foreign.remove(address);
            }
            if (want && !held.contains(address) && !foreign.contains(address)) {
                additions.add(address);
            } else if (!want && held.contains(address)) {
                removals.add(address);
            }
        }
        if (!removals.isEmpty() || !additions.isEmpty()) {
            apply(removals, additions, table);
            publishSnapshot();
        }
    }

    private void apply(List<InetAddress> removals, List<InetAddress> additions, BackendTable table) {
        List<String> lines = new ArrayList<>();
        removals.forEach(a -> lines.add(device.deleteLine(a)));
        additions.forEach(a -> lines.add(device.addLine(a)));
        BatchOutcome outcome = BatchOutcome.of(ip.batch(lines));
        int line = 1;
        for (InetAddress address : removals) {
            String error = outcome.failure(line++);
            if (error == null || BatchOutcome.notFound(error)) {
                held.remove(address);
            } else {
                failed("remove", address, error, table);
            }
        }
        for (InetAddress address : additions) {
            String error = outcome.failure(line++);
            if (error == null || (BatchOutcome.alreadyAssigned(error) && !device.loopback())) {
                held.add(address);
            } else if (BatchOutcome.alreadyAssigned(error)) {
                // Someone else put it on lo: it serves, but it is not ours to remove later.
                foreign.add(address);
                log.info("{} interface {}: {} is already on lo without Sluice's marker; using it, never removing it",
                        owner(address, table), name, Addresses.format(address));
            } else {
                failed("add", address, error, table);
            }
        }
    }

    private void failed(String action, InetAddress address, String error, BackendTable table) {
        failedChanges.incrementAndGet();
        retry.add(address);
        String hint = BatchOutcome.notPermitted(error) ? " (Sluice needs CAP_NET_ADMIN)" : "";
        log.warn("{} interface {}: could not {} {} on {}: {}{}; retrying with the next table",
                owner(address, table), name, action, Addresses.format(address), device.device(), error, hint);
    }

    /** The {@code [namespace/name]} log prefix of a service using the address; only on failures. */
    private String owner(InetAddress address, BackendTable table) {
        for (ServiceEntry entry : table.sortedEntries()) {
            if (addressesOf(entry).contains(address)) {
                return "[" + entry.key().serviceName() + "]";
            }
        }
        return "[-]";
    }

    private void publishSnapshot() {
        Set<InetAddress> snapshot = new LinkedHashSet<>(held);
        snapshot.addAll(foreign);
        heldSnapshot = Set.copyOf(snapshot);
    }

    /** The addresses on the interface for the current table, including any left from a previous run until the first table. */
    public Set<InetAddress> heldAddresses() {
        return heldSnapshot;
    }

    /** The interface the addresses are on: the dummy interface, or {@code lo} in the fallback. */
    public String device() {
        HostDevice current = device;
        return current == null ? name : current.device();
    }

    /** Whether the addresses are on {@code lo} because the kernel has no dummy driver. */
    public boolean usingLoopback() {
        HostDevice current = device;
        return current != null && current.loopback();
    }

    /** How many address additions or removals have failed since start. */
    public long failedChanges() {
        return failedChanges.get();
    }

    /** Removes every address Sluice added, and the dummy interface. Idempotent. */
    @Override
    public synchronized void close() {
        if (device == null) {
            return;
        }
        wanted.clear();
        foreign.clear();
        if (device.loopback()) {
            if (!held.isEmpty()) {
                apply(new ArrayList<>(held), List.of(), seen == null ? BackendTable.empty() : seen);
            }
        } else {
            // Deleting the dummy interface takes its addresses with it.
            IpCommand.Result deleted = ip.run(List.of("link", "del", name));
            if (deleted.ok()) {
                held.clear();
            } else {
                failedChanges.incrementAndGet();
                log.warn("interface {}: ip link del failed: {}", name, deleted.stderr().trim());
            }
        }
        retry.clear();
        publishSnapshot();
        device = null;
        seen = null;
    }

    private IllegalStateException capabilityNeeded(String command, String error) {
        return new IllegalStateException("interface " + name + ": `" + command + "` failed: " + error
                + " (expected: Sluice to run with CAP_NET_ADMIN, which --cluster-ip-interface needs"
                + " to add service addresses; in Kubernetes add NET_ADMIN to the container's capabilities)");
    }

    @Override
    public String toString() {
        return "ClusterIpInterface{" + name + "}";
    }
}
