#!/bin/sh
# The agent of FaultSecretScanIT: proves it got the secret (a file only the test reads), prints it
# whole and split across two writes on both streams, says it is ready, and runs until released, so
# that the scan sees it live.
rest="${FAULT_SECRET#????????}"
head="${FAULT_SECRET%"$rest"}"
printf '%s' "$FAULT_SECRET" >"$FAULT_DIR/seen-$FAULT_NAME"
printf 'out: %s\n' "$FAULT_SECRET"
printf 'err: %s\n' "$FAULT_SECRET" >&2
printf 'split: %s' "$head"
printf '%s\n' "$rest"
printf 'split-err: %s' "$head" >&2
printf '%s\n' "$rest" >&2
: >"$FAULT_DIR/ready-$FAULT_NAME"
while [ ! -e "$FAULT_DIR/go" ]; do sleep 0.05; done
exit "${FAULT_EXIT:-0}"

