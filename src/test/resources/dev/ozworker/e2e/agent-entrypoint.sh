#!/bin/sh
# Stand-in for the Oz agent in the end-to-end tests: the Direct backend runs it as the Oz CLI
# (/agent/entrypoint.sh, copied from the agent image by the init container) and the Docker backend
# as the task container's entry point. It does what it is told, then exits:
#   E2E_SLEEP / E2E_EXIT   seconds to run and exit code, from an Oz assignment's env_vars
#   "sleep N" / "exit N"   the same, as words of a user-authored task's --prompt
# It always prints a line: kube-local's API server reads an empty log tail as null (HTTP 422).
set -f
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
echo "agent ${OZ_RUN_ID:-in a container} runs ${seconds}s, then exits ${code}"
[ "$seconds" = 0 ] || sleep "$seconds"
exit "$code"
