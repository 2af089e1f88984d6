#!/usr/bin/env python3
"""dispatch_command for oz-worker-operator's command backend: forward a task to an HTTP runtime.

The worker runs this with the dispatch payload (JSON, version 1) on stdin. The payload is
reshaped by `to_request()` into what the runtime's API takes and POSTed to OZ_DISPATCH_URL.
Exit 0 tells the worker the runtime accepted the task (it then forgets the task: the agent
reports to Oz itself); any other exit fails the task with `dispatch_command`.

Environment:
  OZ_DISPATCH_URL           where to POST (required unless --dry-run)
  OZ_DISPATCH_AUTH_HEADER   value of the Authorization header (optional)
  OZ_DISPATCH_TIMEOUT_SECS  how long the request may take (default 30; keep it under the
                            worker's dispatch_timeout)
  OZ_RUN_ID                 set by the worker; sent as the X-Oz-Run-Id header

--dry-run prints the request body instead of sending it. Standard library only.
"""

import json
import os
import sys
import urllib.error
import urllib.request


def to_request(payload):
    """The runtime's request for one task. Change this to fit your runtime's API."""
    task = payload.get("task") or {}
    return {
        "job": {
            "id": payload["run_id"],
            "execution": payload.get("execution_id", ""),
            "image": payload.get("docker_image", ""),
            # the runtime runs `oz <argv...>`; the CLI reports progress and result to Oz
            "argv": ["oz", *payload.get("base_args", [])],
            "environment": [
                {"name": name, "value": value}
                for name, value in sorted((payload.get("env") or {}).items())
            ],
            "volumes": [
                {
                    "from_image": sidecar.get("image", ""),
                    "at": sidecar.get("mount_path", ""),
                    "writable": bool(sidecar.get("read_write", False)),
                }
                for sidecar in payload.get("sidecars") or []
            ],
            "labels": {
                "oz-worker": payload.get("worker_id", ""),
                "oz-task": task.get("id", ""),
                "oz-server": payload.get("server_root_url", ""),
            },
        }
    }


def main(argv):
    dry_run = "--dry-run" in argv[1:]
    try:
        payload = json.load(sys.stdin)
    except ValueError as error:
        print(f"dispatch: stdin is not a dispatch payload: {error}", file=sys.stderr)
        return 1
    if payload.get("version") != 1:
        print(f"dispatch: payload version {payload.get('version')} is not 1", file=sys.stderr)
        return 1
    body = json.dumps(to_request(payload)).encode()
    if dry_run:
        sys.stdout.write(body.decode() + "\n")
        return 0

    url = os.environ.get("OZ_DISPATCH_URL", "")
    if not url:
        print("dispatch: set OZ_DISPATCH_URL (backend.command.environment)", file=sys.stderr)
        return 2
    request = urllib.request.Request(url, data=body, method="POST")
    request.add_header("Content-Type", "application/json")
    request.add_header("X-Oz-Run-Id", os.environ.get("OZ_RUN_ID", ""))
    if os.environ.get("OZ_DISPATCH_AUTH_HEADER"):
        request.add_header("Authorization", os.environ["OZ_DISPATCH_AUTH_HEADER"])
    timeout = float(os.environ.get("OZ_DISPATCH_TIMEOUT_SECS", "30"))
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            print(f"dispatch: run {payload['run_id']} accepted (HTTP {response.status})",
                  file=sys.stderr)
    except urllib.error.HTTPError as error:
        print(f"dispatch: the runtime refused run {payload['run_id']}: HTTP {error.code}",
              file=sys.stderr)
        return 1
    except (urllib.error.URLError, OSError) as error:
        print(f"dispatch: cannot reach {url}: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
