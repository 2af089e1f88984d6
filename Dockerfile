# The worker's runtime image: a Java 21+ runtime, the shaded jar, a non-root user. Build it with
#   ./mvnw -B package -DskipTests
#   deploy/build-image.sh [TAG]           (TAG defaults to oz-worker-operator:0.1.0)
# which needs no registry: it passes as BASE_IMAGE a base that deploy/jre-base-image.sh makes from
# this machine's JDK, and builds with --network=none.
# A plain `docker build -t oz-worker-operator:0.1.0 .` pulls the default base below from a registry;
# --build-arg BASE_IMAGE=... names another. The default stays a public image so that builders that
# only run a Dockerfile (buildx, kaniko, CI) work wherever a registry is reachable.
ARG BASE_IMAGE=eclipse-temurin:21-jre
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

# Class data for a faster start: the classes a whole demo loads (three tasks through the embedded
# API server, the controller, the Oz link and the Direct backend), saved as a shared archive that
# the worker maps instead of loading them again: start -> connected went from 2.1 to 1.3 s
# (ResourceBench). It belongs to this jar and this runtime; were it unusable, the JVM says so and
# loads the classes as usual. The options must match ENTRYPOINT's. It is made on top of the
# runtime's own archive, which a JDK or JRE ships in lib/server/ (deploy/jre-base-image.sh too).
RUN java -XX:MaxRAMPercentage=75.0 -XX:+UseSerialGC -XX:TieredStopAtLevel=1 \
      -XX:ArchiveClassesAtExit=/app/worker.jsa -jar /app/oz-worker-operator.jar demo \
      >/tmp/class-data.log 2>&1 && [ -s /app/worker.jsa ] \
    || { cat /tmp/class-data.log >&2; \
         echo "no class data archive was made (does the runtime have lib/server/classes.jsa?)" >&2; \
         exit 1; }; \
    rm -rf /tmp/class-data.log /tmp/oz-demo-*

USER 10001:10001
ENV HOME=/tmp
WORKDIR /tmp
# metrics, /healthz and /readyz
EXPOSE 9090

# The heap follows the container's memory limit; an out-of-memory error ends the process, so that
# Kubernetes restarts it rather than leaving a worker that half works. The serial collector and
# the client compiler alone suit a worker that mostly waits on the network: with the Deployment's
# 512Mi limit they took 100 sleeping Direct tasks from 255 to 207 MiB and start -> connected from
# 2.6 to 2.2 s (ResourceBench, which runs the jar with these options). Flags for the worker go
# after the image name (docker run IMAGE run --backend direct) or into the pod's args.
ENTRYPOINT ["java", "-XX:MaxRAMPercentage=75.0", "-XX:+ExitOnOutOfMemoryError", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-XX:SharedArchiveFile=/app/worker.jsa", "-jar", "/app/oz-worker-operator.jar"]
CMD ["run"]
