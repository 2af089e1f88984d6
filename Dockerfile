# The worker's runtime image: a Java 25 runtime (its AOT cache needs 25; the jar alone runs on 21+),
# the shaded jar, a non-root user. Build it with
#   ./mvnw -B package -DskipTests
#   deploy/build-image.sh [TAG]           (TAG defaults to oz-worker-operator:0.1.0)
# which needs no registry: it passes as BASE_IMAGE a base that deploy/jre-base-image.sh makes from
# this machine's JDK, and builds with --network=none.
# A plain `docker build -t oz-worker-operator:0.1.0 .` pulls the default base below from a registry;
# --build-arg BASE_IMAGE=... names another. The default stays a public image so that builders that
# only run a Dockerfile (buildx, kaniko, CI) work wherever a registry is reachable.
ARG BASE_IMAGE=eclipse-temurin:25-jre
FROM ${BASE_IMAGE}

# The Direct backend runs these by absolute path (setpriv: backend.direct.run_as_uid); a base without them gets them from apt when it
# has apt, and the build stops with their names when it cannot. A passwd entry for the worker's
# uid gives Java a user name and home directory.
RUN missing=""; \
    for tool in /bin/sh /usr/bin/setsid /usr/bin/setpriv /usr/bin/mkfifo /bin/kill; do \
      [ -x "$tool" ] || missing="$missing $tool"; \
    done; \
    if [ -n "$missing" ] && command -v apt-get >/dev/null 2>&1; then \
      apt-get update && apt-get install -y --no-install-recommends util-linux coreutils procps \
      && rm -rf /var/lib/apt/lists/*; \
    fi; \
    for tool in $missing; do \
      [ -x "$tool" ] || { echo "the base image lacks $tool, which the Direct backend runs" >&2; exit 1; }; \
    done; \
    grep -q '^[^:]*:[^:]*:10001:' /etc/passwd \
      || echo 'oz:x:10001:10001:oz-worker:/tmp:/bin/sh' >>/etc/passwd

COPY target/oz-worker-operator.jar /app/oz-worker-operator.jar

# An ahead-of-time cache for a faster start (JDK 25, JEPs 483 and 514): the classes a whole demo
# loads (three tasks through the embedded API server, the controller, the Oz link and the Direct
# backend), saved by one training run already parsed, verified and linked, with the runtime's own
# classes; the worker maps it instead of loading them again. It replaced a dynamic class data
# archive made the same way (-XX:ArchiveClassesAtExit), which had taken start -> connected from 2.1
# to 1.3 s. With the compile thresholds below, start -> connected went from 1.70 to 1.29 s (median
# of 5 in ResourceBench, a busy 2-CPU machine; 1.48-1.71 to 1.20-1.23 s of CPU in alternating
# runs) and idle RSS from 133 to 126 MiB; bench/README.md says what each part moved. It belongs to
# this jar at this path and this runtime; were it unusable, the JVM says so and loads the classes
# as usual. The options must match ENTRYPOINT's; a runtime older than 25 refuses them.
RUN java -XX:MaxRAMPercentage=75.0 -XX:+UseSerialGC -XX:TieredStopAtLevel=1 \
      -XX:CompileThresholdScaling=10 -XX:AOTCacheOutput=/app/worker.aot \
      -jar /app/oz-worker-operator.jar demo \
      >/tmp/aot-cache.log 2>&1 && [ -s /app/worker.aot ] \
    || { cat /tmp/aot-cache.log >&2; \
         echo "no AOT cache was made (a Java 25 runtime is needed: BASE_IMAGE)" >&2; \
         exit 1; }; \
    rm -rf /tmp/aot-cache.log /tmp/oz-demo-*

USER 10001:10001
ENV HOME=/tmp
WORKDIR /tmp
# metrics, /healthz and /readyz
EXPOSE 9090

# The heap follows the container's memory limit; an out-of-memory error ends the process, so that
# Kubernetes restarts it rather than leaving a worker that half works. The serial collector and
# the client compiler alone suit a worker that mostly waits on the network: with the Deployment's
# 512Mi limit they took 100 sleeping Direct tasks from 255 to 207 MiB and start -> connected from
# 2.6 to 2.2 s (ResourceBench, which runs the jar with these options). The client compiler waits
# for ten times its usual count of calls before compiling a method: at start it compiled about as
# much CPU time as the worker ran, on methods mostly run a few hundred times and never again; this
# took a fifth off the CPU time to connected, 5 MiB off idle RSS and 19 MiB off RSS with 100
# sleeping Direct tasks (211 -> 193 MiB, ResourceBench), and leaves a worker's steady,
# network-bound paths compiled all the same. Flags for the worker go after the
# image name (docker run IMAGE run --backend direct) or into the pod's args.
ENTRYPOINT ["java", "-XX:MaxRAMPercentage=75.0", "-XX:+ExitOnOutOfMemoryError", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-XX:CompileThresholdScaling=10", "-XX:AOTCache=/app/worker.aot", "-jar", "/app/oz-worker-operator.jar"]
CMD ["run"]
