#!/bin/sh
# Stand-in for the oz CLI that a dispatch script starts detached (CommandBackendIT). Each call
# appends its arguments as one line to $STANDIN_RECORDS/calls; `agent run` also records its
# environ and pid, and waits until $STANDIN_RECORDS/release exists, so that the test sees it run
# on after the worker forgot the task.
set -u
records="${STANDIN_RECORDS:?STANDIN_RECORDS is not set}"
mkdir -p "$records"
if [ "${1:-}" = agent ]; then
  cat "/proc/$$/environ" >"$records/.environ"
  mv "$records/.environ" "$records/environ"
  printf '%s\n' "$$" >"$records/.pid"
  mv "$records/.pid" "$records/pid"
fi
printf '%s\n' "$*" >>"$records/calls"
if [ "${1:-}" = agent ]; then
  while [ ! -e "$records/release" ]; do sleep 0.05; done
fi
exit 0
