package dev.sluice.proxy.cli;

import dev.sluice.discovery.file.StaticConfig;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code sluice run}: serve a static file or a cluster until SIGTERM. */
@Command(name = "run", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Serve the services of a static file (--config) or of a cluster (--kubeconfig, or in a Pod).",
            "Listeners open once the first complete table is ready; SIGTERM drains, a second SIGTERM stops at once."})
public final class RunCommand implements Callable<Integer> {

    @Mixin
    ProxyFlags flags;

    @Mixin
    HandoverFlags handover;

    @Override
    public Integer call() throws Exception {
        Logging.apply(flags);
        boolean hasServices = flags.config != null && !StaticConfig.load(flags.config).services().isEmpty();
        ServeMode mode = Flags.serveMode(flags, hasServices);
        ProxyProcess process = ProxyProcess.start(flags, mode, handover);
        Signals.onTerminate(process, flags.shutdownGrace);
        process.awaitStopped();
        return 0;
    }
}
