#!/usr/bin/env bash
# Orchestrator benchmark (bench/README.md): starts servers from this checkout exactly as the README says
# (`mvn -Prun`: embedded PostgreSQL with fsync and synchronous commit on) on loopback ports with throwaway data
# directories under /tmp, measures each target of issue 10 beside a ceiling measured in the same run, prints
# every figure with its ratio, and stops the servers. Loopback only; every loop is bounded.
#
# Usage: bench/run.sh            (all sections)
#        bench/run.sh api queue  (only those sections: api, batch, queue, load, overview, claim, nodes)
# Sizes (environment): SECONDS_PER=10 CONNECTIONS=8 LATENCY_JOBS=200 DRAIN_JOBS=2000 SLOTS=8
#        BATCH_JOBS=40000 BATCH_CLIENTS=4 LOAD_JOBS=20000 LOAD_CLIENTS=16 HISTORY_JOBS=1000000 WAKE_JOBS=200
set -euo pipefail
cd "$(dirname "$0")/.."
SECTIONS=${*:-"api batch queue load overview claim nodes"}
SECONDS_PER=${SECONDS_PER:-10}
CONNECTIONS=${CONNECTIONS:-8}
LATENCY_JOBS=${LATENCY_JOBS:-200}
DRAIN_JOBS=${DRAIN_JOBS:-2000}
SLOTS=${SLOTS:-8}
BATCH_JOBS=${BATCH_JOBS:-40000}
BATCH_CLIENTS=${BATCH_CLIENTS:-4}
LOAD_JOBS=${LOAD_JOBS:-20000}
LOAD_CLIENTS=${LOAD_CLIENTS:-16}
HISTORY_JOBS=${HISTORY_JOBS:-1000000}
WAKE_JOBS=${WAKE_JOBS:-200}
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
TOKEN=bench-admin-token-0123456789abcdef
WORK=$(mktemp -d /tmp/orch-bench.XXXXXX)
RESULTS="$WORK/results.txt"
export PGPASSWORD=postgres
: > "$RESULTS"

want() { [[ " $SECTIONS " == *" $1 "* ]]; }
say() { echo "$*" | tee -a "$RESULTS"; }
field() { sed -n "s/.*\b$2=\([0-9.]*\).*/\1/p" <<< "$1" | head -1; }   # field LINE KEY
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.0f %%", 100 * a / b; else print "n/a" }'; }

cat > "$WORK/agents.json" <<JSON
{"agents": {
  "stamp": {"command": ["/bin/date", "+%s%N"], "timeout_seconds": 60},
  "true":  {"command": ["/bin/true"], "timeout_seconds": 60},
  "sleep": {"command": ["/bin/sleep", "900"], "timeout_seconds": 1000}
}}
JSON

echo "building (mvn package, tests skipped)..."
mvn -B -q -ntp -DskipTests package
mvn -B -q -ntp -Dstyle.color=never dependency:build-classpath -Dmdep.outputFile="$WORK/classpath.txt" -Dmdep.includeScope=test
CP=$(cat "$WORK/classpath.txt")

PIDS=()
stop_all() {
  for p in "${PIDS[@]}"; do kill -TERM -- "-$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do
    for _ in $(seq 1 120); do kill -0 "$p" 2>/dev/null || break; sleep 1; done
  done
  PIDS=()
}
trap stop_all EXIT

# start_server NAME PORT [VAR=value ...]: mvn -Prun in its own session; waits until /health/ready answers 200.
start_server() {
  local name=$1 port=$2; shift 2
  local dir="$WORK/$name"; mkdir -p "$dir"
  ( export ORCH_DATA_DIR="$dir" ORCH_HTTP_PORT="$port" ORCH_MAX_CONCURRENCY="$SLOTS" \
           ORCH_AGENTS_FILE="$WORK/agents.json" ORCH_API_TOKEN="$TOKEN" ORCH_DISPATCH_POLL_MILLIS=1000
    unset ORCH_DB_URL ORCH_DB_USER ORCH_DB_PASSWORD ORCH_API_TOKENS_FILE
    for kv in "$@"; do export "${kv?}"; done
    exec setsid mvn -B -q -ntp -Prun > "$dir/server.log" 2>&1 ) &
  PIDS+=($!)
  local pid=$!
  for _ in $(seq 1 240); do
    if [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/health/ready")" = 200 ]; then
      echo "$name ready on port $port (log: $dir/server.log)"; return 0
    fi
    kill -0 "$pid" 2>/dev/null || { echo "$name failed to start:"; tail -40 "$dir/server.log"; exit 1; }
    sleep 1
  done
  echo "$name not ready after 240 s"; tail -40 "$dir/server.log"; exit 1
}
pg_port() { sed -n 's/.*embedded PostgreSQL on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$WORK/$1/server.log" | head -1; }
psql_() { "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -U postgres "$@"; }

say "Orchestrator benchmark, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $(java -version 2>&1 | head -1)"
say "sections: $SECTIONS"

# --- 1. single enqueue and look-up, beside pgbench and /health/live ----------------------------------------------
if want api; then
  start_server api 18080
  PORT=$(pg_port api)
  say ""
  say "== 1. Single enqueue (server 'api', embedded PostgreSQL on port $PORT) =="
  say "durability: fsync=$(psql_ -p "$PORT" -d postgres -Atc 'SHOW fsync') synchronous_commit=$(psql_ -p "$PORT" -d postgres -Atc 'SHOW synchronous_commit')"
  psql_ -p "$PORT" -d postgres -c 'CREATE DATABASE bench'
  psql_ -p "$PORT" -d bench -c 'CREATE TABLE t (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, payload text NOT NULL, created_at timestamptz NOT NULL DEFAULT now())'
  echo "INSERT INTO t (payload) VALUES ('{\"n\": 1}');" > "$WORK/insert.sql"
  PGB=$("$PG_BIN/pgbench" -n -h 127.0.0.1 -p "$PORT" -U postgres -c "$CONNECTIONS" -j 2 -T "$SECONDS_PER" -f "$WORK/insert.sql" bench 2>&1)
  TPS=$(sed -n 's/^tps = \([0-9.]*\).*/\1/p' <<< "$PGB" | head -1)
  say "ceiling: pgbench single-row INSERT + commit, $CONNECTIONS clients: $TPS tx/s"
  OUT=$(java bench/Api.java http://127.0.0.1:18080 "$TOKEN" single "$SECONDS_PER" "$CONNECTIONS")
  echo "$OUT" >> "$RESULTS"
  POST=$(grep '^post_job' <<< "$OUT"); GET=$(grep '^get_job' <<< "$OUT"); LIVE=$(grep '^health_live' <<< "$OUT")
  say "POST /api/jobs: $(field "$POST" req_per_s) req/s = $(ratio "$(field "$POST" req_per_s)" "$TPS") of pgbench (target >= 40 %); p50 $(field "$POST" p50_ms) ms, p99 $(field "$POST" p99_ms) ms (target <= 25 ms); errors $(field "$POST" errors)"
  say "GET /api/jobs/{id}: $(field "$GET" req_per_s) req/s = $(ratio "$(field "$GET" req_per_s)" "$(field "$LIVE" req_per_s)") of GET /health/live's $(field "$LIVE" req_per_s) req/s (target >= 50 %)"
  if want batch; then
    say ""
    say "== 2. Batch enqueue =="
    if OUT=$(java bench/Api.java http://127.0.0.1:18080 "$TOKEN" batch "$BATCH_JOBS" "$BATCH_CLIENTS" 1000 2>&1); then
      echo "$OUT" >> "$RESULTS"
      say "POST /api/jobs/batch, $BATCH_CLIENTS clients, 1000 jobs each: $(field "$OUT" jobs_per_s) jobs/s (target >= 10000); per batch p50 $(field "$OUT" batch_p50_ms) ms"
    else
      say "batch enqueue failed: $(tail -3 <<< "$OUT")"
    fi
  fi
  stop_all
fi

# --- 3 and 5. idle dispatch latency, drain, the JVM's spawn rates (ceiling) --------------------------------------
if want queue || want load || want overview || want claim || want nodes; then
  start_server queue 18081
  QPORT=$(pg_port queue)
fi
if want queue; then
  say ""
  say "== 3 and 5. Idle dispatch latency and drain (server 'queue', $SLOTS slots) =="
  OUT=$(ORCH_API_TOKEN="$TOKEN" java bench/Bench.java http://127.0.0.1:18081 "$WORK/queue" "$LATENCY_JOBS" "$DRAIN_JOBS" "$SLOTS")
  echo "$OUT" | tee -a "$RESULTS"
fi

# --- 8. correctness under load ---------------------------------------------------------------------------------
if want load; then
  say ""
  say "== 8. Under load: $LOAD_CLIENTS clients, $LOAD_JOBS jobs without and $LOAD_JOBS with idempotency keys =="
  if [ -f bench/EnqueueLoad.java ]; then
    OUT=$(java bench/EnqueueLoad.java correctness http://127.0.0.1:18081 "$TOKEN" "$LOAD_JOBS" "$LOAD_CLIENTS" 2>&1) || true
    echo "$OUT" | tee -a "$RESULTS"
    say "database, every job of the server 'queue': $(psql_ -p "$QPORT" -d postgres -Atc "SELECT 'jobs=' || count(*) || ' not_done=' || count(*) FILTER (WHERE status <> 'done') FROM jobs") $(psql_ -p "$QPORT" -d postgres -Atc "SELECT 'jobs_with_more_than_one_run=' || count(*) FROM (SELECT job_id FROM agent_runs GROUP BY job_id HAVING count(*) > 1) x")"
  else
    say "bench/EnqueueLoad.java is missing: not measured"
  fi
fi

# --- 7. overview at a million finished jobs --------------------------------------------------------------------
if want overview; then
  say ""
  say "== 7. GET /api/queue with $HISTORY_JOBS finished jobs =="
  psql_ -p "$QPORT" -d postgres -c "INSERT INTO jobs (agent, repo, status, available_at, finished_at, created_at, updated_at)
      SELECT 'true', 'history-' || (g % 1000), 'done', now(), now(), now(), now() FROM generate_series(1, $HISTORY_JOBS) g" \
      -c 'ANALYZE jobs'
  OUT=$(java bench/Api.java http://127.0.0.1:18081 "$TOKEN" overview 200)
  echo "$OUT" >> "$RESULTS"
  say "GET /api/queue: p50 $(field "$OUT" p50_ms) ms, p95 $(field "$OUT" p95_ms) ms (target p50 <= 5 ms); counts: $(curl -s -H "Authorization: Bearer $TOKEN" http://127.0.0.1:18081/api/queue | sed -n 's/.*"counts":\({[^}]*}\).*/\1/p')"
fi

# --- 4. claims behind a backlog --------------------------------------------------------------------------------
if want claim; then
  say ""
  say "== 4. One claim behind a backlog (database 'claimbench' beside the server's) =="
  psql_ -p "$QPORT" -d postgres -c 'CREATE DATABASE claimbench'
  OUT=$(java -cp "target/classes:$CP" bench/ClaimBench.java "jdbc:postgresql://127.0.0.1:$QPORT/claimbench" 2>&1) || true
  echo "$OUT" | tee -a "$RESULTS"
fi

# --- 6. wake-ups across nodes ----------------------------------------------------------------------------------
# Node A ('node-a', its own embedded PostgreSQL, ORCH_MAX_CONCURRENCY=1) runs one long job, so its only slot is
# taken and its dispatcher claims nothing; node B ('node-b', 8 slots, ORCH_DB_URL = A's PostgreSQL) is idle.
# Each job is POSTed to A and must start on B: B's agent writes its start time into B's data directory, where
# Bench.java reads it (a job started on A would never appear there, and the run would fail).
if want nodes; then
  stop_all
  say ""
  say "== 6. Wake-ups across nodes: POST on node A (its one slot busy) -> agent started on idle node B =="
  start_server node-a 18082 ORCH_MAX_CONCURRENCY=1
  APORT=$(pg_port node-a)
  curl -fs -X POST -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
       -d '{"agent":"sleep","repo":"hold-the-slot"}' http://127.0.0.1:18082/api/jobs > /dev/null
  for _ in $(seq 1 100); do
    [ "$(psql_ -p "$APORT" -d postgres -Atc "SELECT count(*) FROM jobs WHERE status = 'running' AND pid IS NOT NULL")" = 1 ] && break
    sleep 0.2
  done
  start_server node-b 18083 ORCH_DB_URL="jdbc:postgresql://127.0.0.1:$APORT/postgres" ORCH_DB_USER=postgres \
      ORCH_DB_PASSWORD=postgres
  OUT=$(ORCH_API_TOKEN="$TOKEN" java bench/Bench.java http://127.0.0.1:18082 "$WORK/node-b" "$WAKE_JOBS" 0 "$SLOTS")
  echo "$OUT" | tee -a "$RESULTS"
  say "nodes that ran the measured jobs: $(psql_ -p "$APORT" -d postgres -Atc "SELECT string_agg(DISTINCT claimed_by, ', ') FROM jobs WHERE agent = 'stamp'") (target: cross-node p50 <= 15 ms)"
  stop_all
fi

say ""
say "all figures: $RESULTS"
