#!/usr/bin/env bash
# Orchestrator benchmark: starts a server (embedded PostgreSQL, max_concurrency=SLOTS) from this
# checkout on a loopback port in a throwaway data directory, measures it with Bench.java, stops it.
# Usage: bench/run.sh [LATENCY_JOBS=200] [DRAIN_JOBS=2000] [SLOTS=8]
set -euo pipefail
cd "$(dirname "$0")/.."
LATENCY_JOBS=${1:-200}
DRAIN_JOBS=${2:-2000}
SLOTS=${3:-8}
PORT=${BENCH_PORT:-18080}
DATA=$(mktemp -d /tmp/orch-bench.XXXXXX)

cat > "$DATA/agents.json" <<JSON
{"agents": {
  "stamp": {"command": ["/bin/date", "+%s%N"], "timeout_seconds": 60},
  "true":  {"command": ["/bin/true"], "timeout_seconds": 60}
}}
JSON

echo "building..."
mvn -o -B -q -ntp -DskipTests package

echo "starting the server (data in $DATA)..."
export ORCH_DATA_DIR="$DATA" ORCH_HTTP_PORT="$PORT" ORCH_MAX_CONCURRENCY="$SLOTS" \
       ORCH_AGENTS_FILE="$DATA/agents.json" ORCH_DISPATCH_POLL_MILLIS=1000
# the API needs a bearer token: a throwaway admin token for this run, handed to Bench.java the same way
ORCH_API_TOKEN=${ORCH_API_TOKEN:-bench-$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')}
export ORCH_API_TOKEN
unset ORCH_DB_URL ORCH_DB_USER ORCH_DB_PASSWORD
setsid mvn -o -B -q -ntp -Prun > "$DATA/server.log" 2>&1 &
MVN=$!
stop() {
  kill -TERM -- "-$MVN" 2>/dev/null || true
  for _ in $(seq 1 120); do kill -0 "$MVN" 2>/dev/null || break; sleep 1; done
}
trap stop EXIT
for _ in $(seq 1 180); do
  if curl -fs "http://127.0.0.1:$PORT/health/ready" > /dev/null 2>&1; then break; fi
  kill -0 "$MVN" 2>/dev/null || { echo "server failed to start:"; tail -40 "$DATA/server.log"; exit 1; }
  sleep 1
done
curl -fs "http://127.0.0.1:$PORT/health/ready" > /dev/null || { echo "server not ready"; exit 1; }

java bench/Bench.java "http://127.0.0.1:$PORT" "$DATA" "$LATENCY_JOBS" "$DRAIN_JOBS" "$SLOTS"
