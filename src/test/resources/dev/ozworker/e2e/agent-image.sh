#!/usr/bin/env bash
# Makes the stand-in agent image of the end-to-end tests without any registry, with `docker import`:
# dash as /bin/sh and GNU tar, with their libraries (the Direct overlay's init container copies the
# image's file system with tar --exclude, which busybox's tar lacks, and busybox's sh would run its
# own tar even when /bin/tar is another), a static busybox for the rest, and agent-entrypoint.sh at
# both places the worker looks: /entrypoint.sh (copied to /agent/ in a Direct worker's pod) and
# /agent/entrypoint.sh (a Docker task container's entry point).
#
# Prints the image reference. Its tag is a hash of the inputs, so an image made earlier is reused.
# Usage: agent-image.sh REPOSITORY
set -euo pipefail
repository=$1
here=$(cd "$(dirname "$0")" && pwd)
entrypoint="$here/agent-entrypoint.sh"
busybox=/bin/busybox
gnu_tar=/bin/tar
dash=/bin/dash
libraries=$(ldd "$gnu_tar" "$dash" | awk '/=> \// { print $3 } /^\t\/.*ld-linux/ { print $1 }' | sort -u)

tag=$(cat "$0" "$entrypoint" "$busybox" "$gnu_tar" "$dash" $libraries | sha256sum | cut -c1-12)
image="$repository:$tag"
if docker image inspect "$image" >/dev/null 2>&1; then
  echo "$image"
  exit 0
fi

root=$(mktemp -d "${TMPDIR:-/tmp}/e2e-agent.XXXXXX")
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,tmp,agent}
chmod 1777 "$root/tmp"
cp "$busybox" "$root/bin/busybox"
for applet in sleep echo cat ls; do
  ln -s busybox "$root/bin/$applet"
done
# The libraries at the paths the loader asks for (tar -h stores a link's target under its name).
tar -chf - $libraries "$gnu_tar" "$dash" 2>/dev/null | tar -C "$root" -xf -
ln -s dash "$root/bin/sh"
install -m 0755 "$entrypoint" "$root/entrypoint.sh"
install -m 0755 "$entrypoint" "$root/agent/entrypoint.sh"
tar --numeric-owner --owner=0 --group=0 -C "$root" -cf - . |
  docker import --change 'LABEL dev.ozworker.image=e2e-agent' - "$image" >/dev/null
echo "$image"
