package dev.sluice.proxy.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bin/sluice} sizes heap and direct memory from the cgroup limit: the script runs for real
 * against a cgroup tree and a {@code /proc} made in a temporary folder, with a stand-in
 * {@code java} that prints the options it was given.
 */
class LauncherMemoryTest {
    private static final long MIB = 1024 * 1024;
    private static final Path LAUNCHER = Path.of("..", "bin", "sluice").toAbsolutePath().normalize();

    @TempDir
    Path dir;
    Path cgroup;
    Path proc;

    @BeforeEach
    void layout() throws IOException {
        assumeThat(Files.isExecutable(Path.of("/bin/sh"))).as("a POSIX shell").isTrue();
        cgroup = Files.createDirectories(dir.resolve("cgroup"));
        proc = Files.createDirectories(dir.resolve("proc/self"));
        Path java = Files.createDirectories(dir.resolve("jdk/bin")).resolve("java");
        Files.writeString(java, "#!/bin/sh\nprintf '%s\\n' \"$@\"\n");
        Files.setPosixFilePermissions(java, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.writeString(dir.resolve("sluice.jar"), "not a jar: the stand-in java never opens it");
        meminfo(24 * 1024 * MIB);
    }

    @Test
    void aCgroupV2LimitGivesHalfToTheHeapAndAQuarterToDirectMemory() throws Exception {
        v2("/kubepods/pod1/sluice", "536870912");
        assertThat(launch()).contains("-Xmx256m", "-XX:MaxDirectMemorySize=128m", "-Dsluice.memory.limit=536870912",
                "-Dsluice.memory.from=cgroup-v2:" + cgroup.resolve("kubepods/pod1/sluice/memory.max"));
    }

    @Test
    void aTighterLimitOnAParentCgroupWins() throws Exception {
        v2("/kubepods/pod1/sluice", "max");
        Files.writeString(cgroup.resolve("kubepods/pod1/memory.max"), String.valueOf(256 * MIB));
        Files.writeString(cgroup.resolve("kubepods/memory.max"), String.valueOf(4096 * MIB));
        assertThat(launch()).contains("-Xmx128m", "-XX:MaxDirectMemorySize=64m",
                "-Dsluice.memory.from=cgroup-v2:" + cgroup.resolve("kubepods/pod1/memory.max"));
    }

    @Test
    void aCgroupV1LimitIsReadFromTheMemoryController() throws Exception {
        Files.createDirectories(cgroup.resolve("memory"));
        Files.writeString(cgroup.resolve("memory/memory.limit_in_bytes"), "1073741824\n");
        // Inside a container the path named in /proc/self/cgroup is the host's: the mount is the container's own.
        Files.writeString(proc.resolve("cgroup"), "5:cpu,cpuacct:/docker/abc\n4:memory:/docker/abc\n0::/\n");
        assertThat(launch()).contains("-Xmx512m", "-XX:MaxDirectMemorySize=256m",
                "-Dsluice.memory.from=cgroup-v1:" + cgroup.resolve("memory/memory.limit_in_bytes"));
    }

    @Test
    void withoutALimitALargeMachineGetsAHeapOfOneGibNotAQuarterOfItsMemory() throws Exception {
        Files.createDirectories(cgroup.resolve("memory"));
        Files.writeString(cgroup.resolve("memory/memory.limit_in_bytes"), "9223372036854771712\n");
        Files.writeString(proc.resolve("cgroup"), "4:memory:/\n");
        assertThat(launch()).contains("-Xmx1024m", "-XX:MaxDirectMemorySize=512m", "-Dsluice.memory.limit=none",
                "-Dsluice.memory.from=none");
    }

    @Test
    void withoutACgroupASmallMachineIsSizedForItsOwnMemory() throws Exception {
        meminfo(1024 * MIB);
        assertThat(launch()).contains("-Xmx512m", "-XX:MaxDirectMemorySize=256m", "-Dsluice.memory.limit=none",
                "-Dsluice.memory.sized-for=" + 1024 * MIB);
    }

    @Test
    void aLimitAboveTheMachinesMemoryLimitsNothing() throws Exception {
        meminfo(2048 * MIB);
        v2("/", String.valueOf(64L * 1024 * MIB));
        assertThat(launch()).contains("-Xmx1024m", "-Dsluice.memory.limit=none");
    }

    @Test
    void javaOptsComeAfterTheSizingSoAnExplicitHeapWins() throws Exception {
        v2("/", String.valueOf(512 * MIB));
        List<String> options = launch("-Xmx64m");
        assertThat(options.lastIndexOf("-Xmx64m")).isGreaterThan(options.indexOf("-Xmx256m"));
    }

    @Test
    void theStartUpLineNamesHeapDirectMemoryAndTheLimitsOrigin() {
        Properties launcher = new Properties();
        launcher.setProperty("sluice.memory.limit", String.valueOf(640 * MIB));
        launcher.setProperty("sluice.memory.sized-for", String.valueOf(640 * MIB));
        launcher.setProperty("sluice.memory.from", "cgroup-v2:/sys/fs/cgroup/memory.max");
        assertThat(MemoryBudget.of(320 * MIB, 160 * MIB, launcher).describe()).isEqualTo(
                "memory budget: heap max 320 MiB, direct memory max 160 MiB, from the cgroup v2 memory limit of "
                        + "640 MiB (/sys/fs/cgroup/memory.max)");
        launcher.setProperty("sluice.memory.limit", "none");
        launcher.setProperty("sluice.memory.sized-for", String.valueOf(2048 * MIB));
        launcher.setProperty("sluice.memory.from", "none");
        assertThat(MemoryBudget.of(1024 * MIB, 512 * MIB, launcher).describe())
                .endsWith("from no memory limit (sized for 2048 MiB)");
        assertThat(MemoryBudget.of(96 * MIB, 256 * MIB, new Properties()).describe())
                .endsWith("from the JVM's defaults (not started by bin/sluice)");
    }

    private void v2(String path, String max) throws IOException {
        Files.writeString(cgroup.resolve("cgroup.controllers"), "cpu memory pids\n");
        Path own = Files.createDirectories(cgroup.resolve(path.substring(1)));
        Files.writeString(own.resolve("memory.max"), max + "\n");
        Files.writeString(proc.resolve("cgroup"), "0::" + path + "\n");
    }

    private void meminfo(long bytes) throws IOException {
        Files.writeString(proc.getParent().resolve("meminfo"),
                "MemTotal:       " + bytes / 1024 + " kB\nMemFree:        1000 kB\n");
    }

    private List<String> launch(String... javaOpts) throws Exception {
        ProcessBuilder builder = new ProcessBuilder(LAUNCHER.toString(), "--version").redirectErrorStream(true);
        builder.environment().put("JAVA_HOME", dir.resolve("jdk").toString());
        builder.environment().put("SLUICE_JAR", dir.resolve("sluice.jar").toString());
        builder.environment().put("SLUICE_CGROUP_ROOT", cgroup.toString());
        builder.environment().put("SLUICE_PROC_ROOT", proc.getParent().toString());
        builder.environment().remove("SLUICE_JAVA_OPTS");
        builder.environment().put("JAVA_OPTS", String.join(" ", javaOpts));
        Process process = builder.start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(20, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as(output).isZero();
        return output.lines().toList();
    }
}
