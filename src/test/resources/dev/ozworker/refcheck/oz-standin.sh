#!/bin/sh
# Stand-in for the oz CLI: records how a worker started it, then succeeds.
#
# Each invocation leaves records/<pid>/ next to this script (never in its working directory,
# which the worker deletes after the run) with:
#   argv     every argument followed by a NUL byte; an argument can hold any byte but NUL, so
#            JSON, spaces and newlines survive, and an empty argument stays visible
#   environ  the environment exactly as the worker passed it (NUL-separated, from /proc)
#   cwd      the working directory the worker chose
# The record is written under a hidden name and renamed last, so a reader never sees half of it.
# Only shell builtins touch the arguments: a fork per argument would dominate the run time.
set -eu

records="${0%/*}/records"
partial="$records/.$$"
mkdir -p "$partial"

for arg in "$@"; do
  printf '%s\0' "$arg"
done >"$partial/argv"
cat "/proc/$$/environ" >"$partial/environ"
pwd -P >"$partial/cwd"

mv "$partial" "$records/$$"
