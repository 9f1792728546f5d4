package dev.sluice.proxy.reliability;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * Client threads that each open short connections to one frontend, read the backend's name
 * until the connection ends, and count answers and failures. Bounded: each thread stops after
 * {@code perThread} connections, or at {@link #close()}. A short pause between connections
 * keeps the load steady without saturating two shared cores.
 */
final class ClientLoad implements AutoCloseable {
    private static final int KEPT_FAILURES = 20;

    private final InetSocketAddress target;
    private final Map<String, LongAdder> answers = new ConcurrentHashMap<>();
    private final AtomicInteger failures = new AtomicInteger();
    private final ConcurrentLinkedQueue<String> failureSamples = new ConcurrentLinkedQueue<>();
    /** Connections hold the read side; {@link #between} takes the write side. */
    private final ReentrantReadWriteLock inFlight = new ReentrantReadWriteLock(true);
    private final List<Thread> threads = new ArrayList<>();
    private final long pauseNanos;
    private volatile boolean stopped;

    private ClientLoad(InetSocketAddress target, Duration pause) {
        this.target = target;
        this.pauseNanos = pause.toNanos();
    }

    /** Starts {@code threads} clients, each making at most {@code perThread} connections. */
    static ClientLoad start(InetSocketAddress target, int threads, int perThread, Duration pause) {
        ClientLoad load = new ClientLoad(target, pause);
        for (int i = 0; i < threads; i++) {
            Thread thread = new Thread(() -> load.run(perThread), "load-" + i);
            thread.setDaemon(true);
            load.threads.add(thread);
        }
        load.threads.forEach(Thread::start);
        return load;
    }

    private void run(int connections) {
        for (int i = 0; i < connections && !stopped; i++) {
            inFlight.readLock().lock();
            try {
                String answer = ask();
                if (answer.isEmpty()) {
                    fail("empty answer");
                } else {
                    answers.computeIfAbsent(answer, name -> new LongAdder()).increment();
                }
            } catch (IOException e) {
                fail(e.toString());
            } finally {
                inFlight.readLock().unlock();
            }
            LockSupport.parkNanos(pauseNanos);
        }
    }

    private String ask() throws IOException {
        try (Socket socket = new Socket()) {
            socket.connect(target, 2000);
            socket.setSoTimeout(5000);
            InputStream in = socket.getInputStream();
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private void fail(String why) {
        if (failures.incrementAndGet() <= KEPT_FAILURES) {
            failureSamples.add(why);
        }
    }

    /** Runs {@code action} while no connection is in flight; the clients wait meanwhile. */
    void between(Runnable action) {
        inFlight.writeLock().lock();
        try {
            action.run();
        } finally {
            inFlight.writeLock().unlock();
        }
    }

    /** Successful connections so far. */
    long successes() {
        return answers.values().stream().mapToLong(LongAdder::sum).sum();
    }

    /** Connections answered by {@code name} so far. */
    long answeredBy(String name) {
        LongAdder adder = answers.get(name);
        return adder == null ? 0 : adder.sum();
    }

    /** Answers by name, sorted. */
    Map<String, Long> answers() {
        Map<String, Long> copy = new TreeMap<>();
        answers.forEach((name, count) -> copy.put(name, count.sum()));
        return copy;
    }

    int failures() {
        return failures.get();
    }

    /** The first failures, for assertion messages. */
    List<String> failureSamples() {
        return List.copyOf(failureSamples);
    }

    /** Whether every client thread has finished its connections. */
    boolean finished() {
        return threads.stream().noneMatch(Thread::isAlive);
    }

    @Override
    public void close() {
        stopped = true;
        try {
            for (Thread thread : threads) {
                thread.join(TimeUnit.SECONDS.toMillis(10));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
