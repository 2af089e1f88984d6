#!/usr/bin/env bash
# Makes a small Java runtime base image without any registry: a jlink'ed runtime of a local JDK
# (25 or newer: the worker image's AOT cache needs it), the shared libraries it links against
# (found with ldd), a static busybox for /bin/sh, and the tools the Direct backend runs
# (util-linux setsid and setpriv, coreutils mkfifo, procps kill), imported with `docker import`.
# deploy/build-image.sh builds the worker's image on it:
#   docker build --build-arg BASE_IMAGE="$(deploy/jre-base-image.sh)" -t oz-worker-operator .
#
# Prints the image reference on stdout. The tag is a hash of this script, the JDK's release file
# and the copied binaries, so an image made earlier from the same inputs is reused as it is.
#
# Usage: deploy/jre-base-image.sh [JDK_HOME]   (default: the newest /usr/lib/jvm/*; or $JDK_HOME)
# Needs: docker, a JDK >= 25 with jmods or a modular runtime image, ldd, busybox-static.
set -euo pipefail

# What the worker's jar needs (jdeps --print-module-deps on the shaded jar, plus what is loaded
# reflectively or by service lookup: logging, management beans, EC keys for TLS). jdk.httpserver
# serves /metrics, /healthz and /readyz in `run` mode; jdk.management has the process figures.
MODULES=java.base,java.compiler,java.desktop,java.logging,java.management,java.naming
MODULES+=,java.net.http,java.security.jgss,java.sql,java.xml,jdk.crypto.ec,jdk.httpserver
MODULES+=,jdk.management,jdk.unsupported
# Binaries the Direct backend runs by absolute path, copied with their libraries.
TOOLS=(/usr/bin/setsid /usr/bin/setpriv /usr/bin/mkfifo /bin/kill)
BUSYBOX=${BUSYBOX:-/bin/busybox}
REPOSITORY=${JRE_BASE_REPOSITORY:-oz-worker-operator/jre-base}

say() { printf 'jre-base-image: %s\n' "$*" >&2; }
fail() { say "$*"; exit 1; }

jdk=${1:-${JDK_HOME:-}}
if [ -z "$jdk" ]; then
  for candidate in /usr/lib/jvm/*; do
    release="$candidate/release"
    [ -f "$release" ] || continue
    feature=$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$release")
    if [ "${feature:-0}" -ge 25 ] && [ -x "$candidate/bin/jlink" ]; then
      jdk=$candidate
    fi
  done
fi
[ -n "$jdk" ] && [ -x "$jdk/bin/jlink" ] || fail "no JDK 25 or newer with jlink (the image's AOT cache needs 25): pass its home as the first argument"
[ -x "$BUSYBOX" ] && "$BUSYBOX" true 2>/dev/null || fail "$BUSYBOX is missing: apt-get install busybox-static"
if ldd "$BUSYBOX" >/dev/null 2>&1; then
  fail "$BUSYBOX is dynamically linked: apt-get install busybox-static"
fi
for tool in "${TOOLS[@]}"; do
  [ -x "$tool" ] || fail "$tool is missing on this machine (util-linux, coreutils, procps)"
done

tag=$(cat "$0" "$jdk/release" "$BUSYBOX" "${TOOLS[@]}" | sha256sum | cut -c1-12)
image="$REPOSITORY:$tag"
if docker image inspect "$image" >/dev/null 2>&1; then
  say "reusing $image"
  echo "$image"
  exit 0
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/jre-base.XXXXXX")
trap 'rm -rf "$work"' EXIT
root="$work/rootfs"
mkdir -p "$root"/{bin,etc,tmp,usr/bin,opt/java}
chmod 1777 "$root/tmp"

say "jlink $MODULES from $jdk"
# With the runtime's own class data archive, as a JDK ships it, for a JVM started without the
# image's AOT cache (see the Dockerfile), which holds the runtime's classes it needs as well.
"$jdk/bin/jlink" --add-modules "$MODULES" --strip-debug --no-man-pages --no-header-files \
  --generate-cds-archive --output "$root/opt/java/openjdk" >&2

# Every shared library outside the runtime that its binaries or the tools load, at the same path
# (symbolic links kept, so the loader finds the names it asks for), and the dynamic loader itself.
copy_with_links() {
  local path=$1
  while :; do
    mkdir -p "$root$(dirname "$path")"
    cp -P "$path" "$root$path"
    [ -L "$path" ] || break
    local target
    target=$(readlink "$path")
    case "$target" in /*) path=$target ;; *) path="$(dirname "$path")/$target" ;; esac
  done
}
mapfile -t binaries < <(find "$root/opt/java/openjdk" -type f \( -name '*.so' -o -path '*/bin/*' \))
libraries=$( (for file in "${binaries[@]}" "${TOOLS[@]}"; do ldd "$file" 2>/dev/null || true; done) |
  awk '/=> \// { print $3 } /^\t\/.*ld-linux/ { print $1 }' | sort -u)
for library in $libraries; do
  case "$library" in "$root"/*) continue ;; esac
  copy_with_links "$library"
done
for tool in "${TOOLS[@]}"; do
  copy_with_links "$tool"
done

cp "$BUSYBOX" "$root/bin/busybox"
for applet in $("$BUSYBOX" --list); do
  [ -e "$root/bin/$applet" ] || [ -e "$root/usr/bin/$applet" ] || ln -s busybox "$root/bin/$applet"
done

cat >"$root/etc/passwd" <<'PASSWD'
root:x:0:0:root:/root:/bin/sh
oz:x:10001:10001:oz-worker:/tmp:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
PASSWD
cat >"$root/etc/group" <<'GROUP'
root:x:0:
oz:x:10001:
nogroup:x:65534:
GROUP

say "importing $image ($(du -sh "$root" | cut -f1))"
tar --numeric-owner --owner=0 --group=0 -C "$root" -cf - . |
  docker import \
    --change 'ENV JAVA_HOME=/opt/java/openjdk' \
    --change 'ENV PATH=/opt/java/openjdk/bin:/usr/bin:/bin' \
    --change 'ENV LANG=C.UTF-8' \
    --change 'LABEL dev.ozworker.image=jre-base' \
    - "$image" >/dev/null
echo "$image"
