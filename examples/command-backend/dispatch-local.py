#!/usr/bin/env python3
"""dispatch_command for oz-worker-operator's command backend: run the Oz CLI on this host.

For trying the command backend end to end without a runtime of your own. It reads the dispatch
payload on stdin and starts, detached in a session of its own,

    $OZ_BIN <base_args...> ; $OZ_BIN harness-support --run-id <run_id> report-shutdown

with the payload's `env` added to this script's environment, then exits 0 at once: the worker
records the task as Dispatched and frees its slot while the CLI runs on and reports to Oz itself.
The second command is what the command backend's contract asks of a runtime once the CLI exits.

Environment:
  OZ_BIN                the Oz CLI to run (required)
  OZ_LOCAL_RUN_LOG_DIR  where each run's output goes, as oz-run-<run_id>.log (default: the
                        temporary directory); the payload's secrets are never written there

--dry-run prints the command line instead of starting it. Standard library only.
"""

import json
import os
import shlex
import subprocess
import sys
import tempfile


def main(argv):
    cli = os.environ.get("OZ_BIN", "")
    if not cli:
        print("dispatch-local: set OZ_BIN to the Oz CLI", file=sys.stderr)
        return 2
    try:
        payload = json.load(sys.stdin)
    except ValueError as error:
        print(f"dispatch-local: stdin is not a dispatch payload: {error}", file=sys.stderr)
        return 1
    run_id = str(payload.get("run_id", ""))
    args = payload.get("base_args") or []
    if not run_id or not args:
        print("dispatch-local: the payload has no run_id or no base_args", file=sys.stderr)
        return 1
    run = shlex.join([cli, *args])
    report = shlex.join([cli, "harness-support", "--run-id", run_id, "report-shutdown"])
    script = f"{run}; {report}"
    # names only: the values are the task's secrets
    print(f"dispatch-local: run {run_id}: {shlex.join(args)} "
          f"with env {', '.join(sorted(payload.get('env') or {}))}", file=sys.stderr)
    if "--dry-run" in argv[1:]:
        sys.stdout.write(script + "\n")
        return 0

    log_dir = os.environ.get("OZ_LOCAL_RUN_LOG_DIR") or tempfile.gettempdir()
    os.makedirs(log_dir, exist_ok=True)
    log_path = os.path.join(log_dir, f"oz-run-{run_id}.log")
    env = dict(os.environ)
    env.update({str(name): str(value) for name, value in (payload.get("env") or {}).items()})
    try:
        with open(log_path, "ab") as log:
            # a session of its own and none of our pipes: the run outlives this script, and the
            # worker, which waits for our output to end, is not kept waiting by it
            child = subprocess.Popen(
                ["/bin/sh", "-c", script],
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                start_new_session=True,
            )
    except OSError as error:
        print(f"dispatch-local: cannot start {cli}: {error}", file=sys.stderr)
        return 1
    print(f"dispatch-local: run {run_id} started as pid {child.pid}, output in {log_path}",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
