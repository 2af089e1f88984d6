#!/bin/sh
# Demo component: a stand-in for the Oz CLI (`oz agent run ...`) so the demo runs tasks without an
# Oz account or a model. It prints a few lines, then does what its environment says:
#   DEMO_STEPS   how many steps to take (default 3), DEMO_STEP_SECONDS apart (default 0.2)
#   DEMO_EXIT    its exit code (default 0)
#   DEMO_TOKEN   a secret it prints, to show that the worker masks secrets in stored output
# On SIGTERM (a cancellation) it says so and exits 143, as a process ended by SIGTERM does.
trap 'echo "demo agent: stopping on SIGTERM"; exit 143' TERM
echo "demo agent: oz $*"
if [ -n "${DEMO_TOKEN:-}" ]; then
  echo "demo agent: signing in with token ${DEMO_TOKEN}"
fi
steps="${DEMO_STEPS:-3}"
i=0
while [ "$i" -lt "$steps" ]; do
  i=$((i + 1))
  echo "demo agent: step $i of $steps"
  # In the background and waited for, so SIGTERM is handled at once rather than after the sleep.
  sleep "${DEMO_STEP_SECONDS:-0.2}" &
  wait $!
done
code="${DEMO_EXIT:-0}"
echo "demo agent: done, exit status $code"
exit "$code"
