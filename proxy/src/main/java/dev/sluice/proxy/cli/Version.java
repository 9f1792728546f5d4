package dev.sluice.proxy.cli;

import picocli.CommandLine;

/** Reports the version recorded in the jar's manifest. */
final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
        String version = Version.class.getPackage().getImplementationVersion();
        return new String[] {"sluice " + (version == null ? "development build" : version),
            "java " + System.getProperty("java.version") + " (" + System.getProperty("java.vm.name") + ")"};
    }
}
