#!/bin/sh
# The one-command demo: builds the worker if needed, then runs `oz-worker-operator demo` with a
# Java 21+ it finds (JAVA_HOME, `java` on PATH, or a JDK under /usr/lib/jvm). Arguments are passed
# on, e.g. ./demo.sh --kubeconfig "$KUBECONFIG".
set -eu
cd "$(dirname "$0")"
jar=target/oz-worker-operator.jar

feature() { # the feature release of a java binary, 0 if it cannot tell
  "$1" -XshowSettings:properties -version 2>&1 |
    sed -n 's/^ *java\.specification\.version = \([0-9]*\).*/\1/p' | head -n 1 | grep . || echo 0
}

java_bin=""
for candidate in ${JAVA_HOME:+"$JAVA_HOME/bin/java"} "$(command -v java 2>/dev/null || true)" \
  /usr/lib/jvm/*/bin/java; do
  if [ -n "$candidate" ] && [ -x "$candidate" ] && [ "$(feature "$candidate")" -ge 21 ]; then
    java_bin="$candidate"
    break
  fi
done
if [ -z "$java_bin" ]; then
  echo "demo: needs Java 21 or newer (set JAVA_HOME, or install one under /usr/lib/jvm)" >&2
  exit 1
fi

if [ ! -f "$jar" ] || [ -n "$(find src crds examples pom.xml -newer "$jar" -print -quit)" ]; then
  echo "demo: building $jar (./mvnw -B -q package -DskipTests; about a minute the first time)"
  ./mvnw -B -q package -DskipTests
fi

# Worker logs at WARN keep the demo's own table readable; netty without sun.misc.Unsafe keeps
# newer JDKs from warning about it.
exec "$java_bin" -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -Dio.netty.noUnsafe=true \
  -jar "$jar" demo "$@"
