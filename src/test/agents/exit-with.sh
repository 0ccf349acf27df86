#!/bin/sh
# Test agent: prints a line to stdout and one to stderr, then exits with $1 (default 0).
echo "exit-with: job=$ORCH_JOB_ID run=$ORCH_RUN_ID attempt=$ORCH_ATTEMPT repo=$ORCH_REPO cwd=$(pwd)"
echo "exit-with: stderr line, exiting ${1:-0}" >&2
exit "${1:-0}"
