#!/usr/bin/env python3
"""cancel_command for oz-worker-operator's command backend: tell an HTTP runtime to stop a run.

The worker runs this, without stdin, when Oz cancels a task it is dispatching or has handed off.
It POSTs {"run_id", "execution_id"} (from OZ_RUN_ID and OZ_EXECUTION_ID) to OZ_CANCEL_URL. The
worker only logs and counts a failure (`cancel_command`); it does not retry.

Environment:
  OZ_CANCEL_URL             where to POST (required unless --dry-run)
  OZ_DISPATCH_AUTH_HEADER   value of the Authorization header (optional)
  OZ_DISPATCH_TIMEOUT_SECS  how long the request may take (default 30)

--dry-run prints the request body instead of sending it. Standard library only.
"""

import json
import os
import sys
import urllib.error
import urllib.request


def main(argv):
    body = json.dumps(
        {
            "run_id": os.environ.get("OZ_RUN_ID", ""),
            "execution_id": os.environ.get("OZ_EXECUTION_ID", ""),
        }
    ).encode()
    if "--dry-run" in argv[1:]:
        sys.stdout.write(body.decode() + "\n")
        return 0
    url = os.environ.get("OZ_CANCEL_URL", "")
    if not url:
        print("cancel: set OZ_CANCEL_URL (backend.command.environment)", file=sys.stderr)
        return 2
    request = urllib.request.Request(url, data=body, method="POST")
    request.add_header("Content-Type", "application/json")
    if os.environ.get("OZ_DISPATCH_AUTH_HEADER"):
        request.add_header("Authorization", os.environ["OZ_DISPATCH_AUTH_HEADER"])
    timeout = float(os.environ.get("OZ_DISPATCH_TIMEOUT_SECS", "30"))
    try:
        with urllib.request.urlopen(request, timeout=timeout):
            pass
    except urllib.error.HTTPError as error:
        print(f"cancel: the runtime answered HTTP {error.code}", file=sys.stderr)
        return 1
    except (urllib.error.URLError, OSError) as error:
        print(f"cancel: cannot reach {url}: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
