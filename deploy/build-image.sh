#!/bin/sh
# Builds the worker's image without any registry: the base comes from deploy/jre-base-image.sh (a
# jlink'ed runtime of this machine's JDK, made once and reused while its inputs are unchanged), and
# the Dockerfile puts the shaded jar on it. The build needs no network, so it runs with none (an
# engine that has lost its default bridge, docker0, could not attach a build step to one).
#
# Usage: deploy/build-image.sh [TAG]   (default: oz-worker-operator:0.1.0, the tag manifests/ deploy)
# Needs: target/oz-worker-operator.jar (./mvnw -B package -DskipTests), docker, and what
# deploy/jre-base-image.sh needs (a JDK >= 25, ldd, busybox-static); JDK_HOME picks the JDK.
# Prints the tag on stdout; everything else goes to stderr.
#
# With a registry at hand, the Dockerfile's default base works as well:
#   docker build -t oz-worker-operator:0.1.0 .      (on eclipse-temurin:25-jre)
set -eu

tag=${1:-oz-worker-operator:0.1.0}
cd "$(dirname "$0")/.."

say() { printf 'build-image: %s\n' "$*" >&2; }

jar=target/oz-worker-operator.jar
if [ ! -f "$jar" ]; then
  say "$jar is missing: build it first with ./mvnw -B package -DskipTests"
  exit 1
fi

base=$(deploy/jre-base-image.sh)
say "building $tag on $base"
# stdout carries the tag alone, for $(deploy/build-image.sh)
docker build --network=none --build-arg BASE_IMAGE="$base" -t "$tag" . >&2
echo "$tag"
