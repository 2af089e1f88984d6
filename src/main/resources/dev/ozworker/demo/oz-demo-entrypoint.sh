#!/bin/sh
# Demo component: the entrypoint of the demo's agent sidecar image (oz-demo/agent:local), which the
# Docker backend mounts at /agent and runs as /agent/entrypoint.sh <oz arguments>, as it does the
# real agent sidecar; the demo's image for task Pods (oz-demo/task-with-agent:local) holds it at
# /agent itself. It hands over to the stand-in Oz CLI beside it; exec keeps that script PID 1,
# so the SIGTERM of a cancellation reaches its trap.
echo "demo agent: started by /agent/entrypoint.sh in a container"
exec /agent/oz "$@"
