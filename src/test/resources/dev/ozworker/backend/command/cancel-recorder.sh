#!/bin/sh
# cancel_command of CommandBackendIT: records its environment and how it was started (no stdin).
set -u
dir="$RECORDS/$OZ_RUN_ID"
mkdir -p "$dir"
{ printf 'run=%s execution=%s backend=%s\n' "$OZ_RUN_ID" "$OZ_EXECUTION_ID" "$OZ_WORKER_BACKEND"
  if [ -t 0 ] || ! read -r _; then echo "stdin=empty"; else echo "stdin=data"; fi
} >"$dir/.cancelled"
mv "$dir/.cancelled" "$dir/cancelled"
exit "${CANCEL_EXIT:-0}"
