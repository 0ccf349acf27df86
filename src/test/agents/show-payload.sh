#!/bin/sh
# Test agent: copies its payload file and the ORCH_* environment into its log.
echo "payload=$(cat "$ORCH_PAYLOAD_FILE")"
env | grep -E '^(ORCH_|AGENT_)' | sort
