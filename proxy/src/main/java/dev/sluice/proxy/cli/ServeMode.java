package dev.sluice.proxy.cli;

import java.nio.file.Path;

/**
 * What a proxy serves: a static file, or a cluster through a kubeconfig ({@code null} for the
 * in-cluster configuration) as the named node.
 */
record ServeMode(Kind kind, Path config, Path kubeconfig, String nodeName) {

    enum Kind { FILE, KUBERNETES }

    static ServeMode file(Path config) {
        return new ServeMode(Kind.FILE, config, null, null);
    }

    static ServeMode kubernetes(Path kubeconfig, String nodeName) {
        return new ServeMode(Kind.KUBERNETES, null, kubeconfig, nodeName);
    }
}
