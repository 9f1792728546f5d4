package dev.sluice.proxy.forward;

import io.netty.channel.Channel;
import java.net.InetSocketAddress;

/**
 * An established proxied connection taken off its event loop for a handover: its client and
 * backend channels (deregistered, nothing in flight) and the backend it is relayed to. Exactly
 * one of {@link #handedOff()} or {@link #reattach()} follows.
 */
public final class HandedConnection {
    private final ClientHandler handler;
    private final Channel client;
    private final Channel backend;
    private final InetSocketAddress backendAddress;

    HandedConnection(ClientHandler handler, Channel client, Channel backend, InetSocketAddress backendAddress) {
        this.handler = handler;
        this.client = client;
        this.backend = backend;
        this.backendAddress = backendAddress;
    }

    public Channel client() {
        return client;
    }

    public Channel backend() {
        return backend;
    }

    public InetSocketAddress backendAddress() {
        return backendAddress;
    }

    /** The successor relays it now: close this process's copies and release what they counted. */
    public void handedOff() {
        client.eventLoop().execute(handler::handedOff);
    }

    /** The successor refused it: relay it here again. */
    public void reattach() {
        client.eventLoop().execute(handler::reattach);
    }
}
