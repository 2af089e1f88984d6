#!/bin/sh
# Stand-in for the oz CLI in the Direct backend's tests. It records how it was started, then does
# what its environment tells it (the tests set these through the task's env):
#   STANDIN_RECORDS     directory for the records: argv (NUL-separated), environ (from /proc), cwd,
#                       and mcp: the content of each file given as --mcp PATH (NUL-separated)
#   STANDIN_SAY         a line to print on stdout (e.g. a secret, to see it masked)
#   STANDIN_GRANDCHILD  start a grandchild that ignores SIGTERM and writes its pid to records/grandchild
#   STANDIN_IGNORE_TERM ignore SIGTERM, so only SIGKILL stops it
#   STANDIN_WAIT_FOR    wait until this file exists before ending (polls; the tests never do)
#   STANDIN_KILL_SELF   end by SIGKILL to itself
#   STANDIN_EXIT        the exit code (default 0)
# Every record is written under a hidden name and renamed, so a reader never sees half of one.
set -u

records="${STANDIN_RECORDS:?STANDIN_RECORDS is not set}"
mkdir -p "$records"
publish() {
  mv "$records/.$1" "$records/$1"
}

previous=""
for arg in "$@"; do
  printf '%s\0' "$arg"
  if [ "$previous" = "--mcp" ] && [ -r "$arg" ]; then
    { cat "$arg"; printf '\0'; } >>"$records/.mcp"
  fi
  previous="$arg"
done >"$records/.argv"
if [ -e "$records/.mcp" ]; then
  publish mcp
fi
cat "/proc/$$/environ" >"$records/.environ"
pwd -P >"$records/.cwd"
publish environ
publish cwd

if [ -n "${STANDIN_IGNORE_TERM:-}" ]; then
  trap '' TERM
fi
if [ -n "${STANDIN_SAY:-}" ]; then
  printf 'agent says: %s\n' "$STANDIN_SAY"
fi
if [ -n "${STANDIN_GRANDCHILD:-}" ]; then
  sh -c 'trap "" TERM; echo "$$" >"$1/.grandchild"; mv "$1/.grandchild" "$1/grandchild"; exec sleep 600' \
    grandchild "$records" &
fi
printf '%s\n' "$$" >"$records/.pid"
publish pid
# argv last: a test that sees it knows everything above has happened
publish argv

if [ -n "${STANDIN_WAIT_FOR:-}" ]; then
  while [ ! -e "$STANDIN_WAIT_FOR" ]; do
    sleep 0.05
  done
fi
if [ -n "${STANDIN_KILL_SELF:-}" ]; then
  kill -KILL "$$"
fi
exit "${STANDIN_EXIT:-0}"
