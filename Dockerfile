# syntax=docker/dockerfile:1
#
# docker build -t sluice:0.1.0 .
# Builds the fat jar with the Maven wrapper on a JDK, then ships it with the launcher on a JRE.
# At run time nothing is written outside /tmp, so the root filesystem can be read-only.
# The base images are build arguments: any Debian or Ubuntu image with a JDK 17+ (and curl or
# wget for the Maven wrapper) builds, one with a JRE 17+ runs; deploy/build-image.sh builds from
# bases it makes with debootstrap, without Docker or a registry.
ARG BUILD_IMAGE=eclipse-temurin:17-jdk
ARG RUNTIME_IMAGE=eclipse-temurin:17-jre

FROM ${BUILD_IMAGE} AS build
WORKDIR /src
# Poms first, so dependency downloads are cached until a pom changes.
COPY mvnw pom.xml ./
COPY .mvn/ .mvn/
COPY discovery/pom.xml discovery/
COPY proxy/pom.xml proxy/
COPY benchmarks/pom.xml benchmarks/
COPY discovery/src/ discovery/src/
COPY proxy/src/ proxy/src/
RUN --mount=type=cache,target=/root/.m2 \
    ./mvnw -B -ntp -pl proxy -am package -DskipTests \
    && test -f proxy/target/sluice.jar

FROM ${RUNTIME_IMAGE}
# The programs Sluice runs: ip (--cluster-ip-interface, transparent return routing) and nft
# (--capture tproxy, --source-ip client). RuntimeImageTest checks this list against the code.
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends iproute2 nftables \
    && rm -rf /var/lib/apt/lists/*
RUN groupadd --system --gid 65532 sluice \
    && useradd --system --uid 65532 --gid 65532 --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin sluice
COPY --from=build /src/proxy/target/sluice.jar /opt/sluice/lib/sluice.jar
COPY --chmod=0755 bin/sluice /opt/sluice/bin/sluice
# Class-data sharing: one self-test run on this image's JRE records the classes a run loads in
# /opt/sluice/lib/sluice.jsa, which the launcher starts from (about 40% faster to serving). The
# build stage has no bin/, so Maven skips recording an archive there for the wrong JVM.
RUN JAVA_OPTS="-XX:ArchiveClassesAtExit=/opt/sluice/lib/sluice.jsa -Xlog:cds=off -Xlog:cds+dynamic=off" \
        /opt/sluice/bin/sluice demo --check
# healthz and livez, metrics
EXPOSE 10256 10249
USER 65532:65532
# The launcher sizes heap and direct memory from the container's memory limit.
ENTRYPOINT ["/opt/sluice/bin/sluice"]
CMD ["--help"]
