#!/bin/sh
# dispatch_command of CommandBackendIT. It records what the worker gave it under
# $RECORDS/$OZ_RUN_ID (payload from stdin, environ and cmdline from /proc, pid), prints the
# payload (so the test sees its secret masked in the task's log), then behaves as the run id says:
#   *-fails    exit 4
#   *-slow     never ends by itself (the worker's dispatch_timeout kills it)
#   *-waits    waits until $RECORDS/$OZ_RUN_ID/release exists (it never does: a cancellation
#              ends it)
#   otherwise  exit 0: handed off
# Records are written under a hidden name and renamed: a reader never sees half of one.
set -u
dir="$RECORDS/$OZ_RUN_ID"
mkdir -p "$dir"
cat >"$dir/.payload"
cat "/proc/$$/environ" >"$dir/.environ"
cat "/proc/$$/cmdline" >"$dir/.cmdline"
mv "$dir/.payload" "$dir/payload"
mv "$dir/.environ" "$dir/environ"
mv "$dir/.cmdline" "$dir/cmdline"
cat "$dir/payload"
echo
printf '%s\n' "$$" >"$dir/.pid"
mv "$dir/.pid" "$dir/pid"
case "$OZ_RUN_ID" in
  *-fails) echo "the runtime refused the task"; exit 4 ;;
  *-slow) exec sleep 600 ;;
  *-waits)
    while [ ! -e "$dir/release" ]; do sleep 0.05; done ;;
esac
exit 0
