package dev.sluice.proxy.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The container image carries every program the code runs: each program named by a class that
 * starts child processes is installed, by its Debian package, in the Dockerfile's runtime stage.
 */
class RuntimeImageTest {
    private static final Path ROOT = Path.of(System.getProperty("user.dir")).resolve("..").normalize();
    /** The package of each program the code may run; a new program must be added here and to the Dockerfile. */
    private static final Map<String, String> PACKAGES = Map.of("ip", "iproute2", "nft", "nftables");
    /** How a runner names its program: {@code List.of("ip")} in a class that builds processes. */
    private static final Pattern PROGRAM = Pattern.compile("List\\.of\\(\"([A-Za-z0-9_.-]+)\"\\)");

    @Test
    void everyProgramTheCodeRunsIsInstalledInTheRuntimeStage() throws IOException {
        Set<String> programs = programsRun();
        assertThat(programs).as("programs found in classes that start processes").contains("ip", "nft");
        assertThat(PACKAGES.keySet()).as("a program without a known package").containsAll(programs);

        Set<String> installed = runtimePackages(Files.readString(ROOT.resolve("Dockerfile")));
        for (String program : programs) {
            assertThat(installed).as("the runtime stage installs %s for %s", PACKAGES.get(program), program)
                    .contains(PACKAGES.get(program));
        }
    }

    private static Set<String> programsRun() throws IOException {
        Set<String> programs = new TreeSet<>();
        try (Stream<Path> files = Files.walk(ROOT.resolve("proxy/src/main/java"))) {
            for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
                String source = Files.readString(file);
                if (!source.contains("new ProcessBuilder(")) {
                    continue;
                }
                Matcher matcher = PROGRAM.matcher(source);
                while (matcher.find()) {
                    programs.add(matcher.group(1));
                }
            }
        }
        return programs;
    }

    /** The packages of every {@code apt-get install} after the last {@code FROM}. */
    static Set<String> runtimePackages(String dockerfile) {
        String runtime = dockerfile.substring(dockerfile.lastIndexOf("\nFROM "));
        Set<String> packages = new TreeSet<>();
        Matcher install = Pattern.compile("apt-get install((?:\\\\\\n|[^\\n&])*)").matcher(runtime);
        while (install.find()) {
            for (String word : install.group(1).replace("\\\n", " ").trim().split("\\s+")) {
                if (!word.startsWith("-")) {
                    packages.add(word);
                }
            }
        }
        return packages;
    }

    @Test
    void onlyTheRuntimeStageCounts() {
        String dockerfile = "FROM jdk AS build\nRUN apt-get install -y nftables\n\n"
                + "FROM jre\nRUN apt-get install -y \\\n    iproute2 \\\n    && true\n";

        assertThat(runtimePackages(dockerfile)).containsExactly("iproute2");
    }
}
