#!/bin/sh
# Stand-in for the Oz agent in the end-to-end tests: the Direct backend runs it as the Oz CLI
# (/agent/entrypoint.sh, copied from the agent image by the init container) and the Docker backend
# as the task container's entry point. It does what it is told, then exits:
#   E2E_SLEEP / E2E_EXIT   seconds to run and exit code, from an Oz assignment's env_vars
#   E2E_RELEASE            a file: run until it exists (the test makes it with docker exec), for
#                          at most E2E_SLEEP seconds
#   "sleep N" / "exit N"   the same, as words of a user-authored task's --prompt
#   E2E_DOES               shell code to run first (a test's look at what the agent can reach)
#   /var/lib/oz/e2e-records  when this directory exists (a test mounts it from the node), each
#                          start leaves a file start.<run id>.<random> there, which outlives the pod
# The run id is the name of the workspace the Direct backend starts it in (its working directory).
# It always prints a line: kube-local's API server reads an empty log tail as null (HTTP 422).
set -f
run="${PWD##*/}"
records=/var/lib/oz/e2e-records
if [ -d "$records" ]; then
  read -r nonce </proc/sys/kernel/random/uuid
  : >"$records/start.$run.$nonce"
fi
seconds="${E2E_SLEEP:-0}"
code="${E2E_EXIT:-0}"
prompt=""
while [ $# -gt 0 ]; do
  [ "$1" = "--prompt" ] && [ $# -gt 1 ] && prompt="$2"
  shift
done
set -- $prompt
while [ $# -gt 1 ]; do
  case "$1" in
    sleep) seconds="$2" ;;
    exit) code="$2" ;;
  esac
  shift
done
echo "agent $run runs ${seconds}s, then exits ${code}"
if [ -n "${E2E_DOES:-}" ]; then
  eval "$E2E_DOES"
fi
if [ -n "${E2E_RELEASE:-}" ]; then
  ticks=$((seconds * 10))
  while [ ! -e "$E2E_RELEASE" ] && [ "$ticks" -gt 0 ]; do
    sleep 0.1
    ticks=$((ticks - 1))
  done
elif [ "$seconds" != 0 ]; then
  sleep "$seconds"
fi
exit "$code"
