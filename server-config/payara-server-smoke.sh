#!/usr/bin/env bash
# Proves that target/orchestrator.war deploys unchanged on a full Payara Server 6 domain and
# survives a domain restart with a job running. Not part of `mvn verify` (it takes minutes).
#
#   mvn -B -q package -DskipTests && bash server-config/payara-server-smoke.sh
#
# Steps: fetch Payara Server through Maven and unpack it under target/; start a throwaway
# PostgreSQL 15 cluster (password authentication over TCP); create a domain on free ports; give the
# settings in the ways a Payara admin does (environment of start-domain, `set-config-property`,
# a system property, a password alias for ORCH_DB_PASSWORD); check that a relative ORCH_DATA_DIR is
# refused; deploy at context root /; poll readiness; run one job over REST with a bearer token;
# restart the domain while a 20 s job runs and check it is recovered and finishes without a second
# overlapping run; check readiness goes DOWN while PostgreSQL is stopped and comes back; undeploy
# (also right after a deploy) and check every node recorded its stop; stop everything; print a
# PASS/FAIL summary. Exit status 0 only if every check passed.
#
# Environment: PAYARA_VERSION (default 6.2025.10), PGBIN (default /usr/lib/postgresql/15/bin),
# KEEP_WORK=1 keeps target/payara-server-smoke (logs are kept either way; the domain is stopped).
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
PAYARA_VERSION=${PAYARA_VERSION:-6.2025.10}
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
WAR=$ROOT/target/orchestrator.war
WORK=$ROOT/target/payara-server-smoke
DOMAIN=orchsmoke
DOMAINDIR=$WORK/domains
DATA=$WORK/orchestrator-data
LOCKS=$WORK/locks
AGENTS=$WORK/agents.json
PWFILE=$WORK/asadmin-passwords
DB_USER=orch
DB_PASSWORD=smoke-db-$RANDOM$RANDOM
TOKEN=smoke-admin-token-$RANDOM$RANDOM$RANDOM
START=$(date +%s)

# no ORCH_* setting of the caller's shell may leak into the domain
for v in $(env | sed -n 's/^\(ORCH_[A-Z0-9_]*\)=.*/\1/p'); do unset "$v"; done

RESULTS=()
FAILURES=0
log() { printf '[%4ds] %s\n' $(( $(date +%s) - START )) "$*"; }
pass() { log "PASS  $*"; RESULTS+=("PASS  $*"); }
fail() { log "FAIL  $*"; RESULTS+=("FAIL  $*"); FAILURES=$((FAILURES + 1)); }
check() { local what=$1; shift; if "$@"; then pass "$what"; else fail "$what"; fi; }

summary() {
    echo
    echo "================ Payara Server $PAYARA_VERSION smoke test: summary ================"
    printf '%s\n' "${RESULTS[@]}"
    echo "-------------------------------------------------------------------------------"
    if [ "$FAILURES" -eq 0 ] && [ "${#RESULTS[@]}" -gt 0 ]; then
        echo "PASS: ${#RESULTS[@]} checks passed in $(( $(date +%s) - START )) s"
    else
        echo "FAIL: $FAILURES of ${#RESULTS[@]} checks failed (server log: $SERVER_LOG)"
    fi
}

# ------------------------------------------------------------------ helpers
free_ports() { # $1 = how many consecutive ports; prints the first of a free block
    python3 - "$1" <<'EOF'
import random, socket, sys
n = int(sys.argv[1])
for _ in range(200):
    base = random.randrange(20000, 60000 - n, 100)
    socks = []
    try:
        for p in range(base, base + n):
            s = socket.socket(); s.bind(("0.0.0.0", p)); socks.append(s)
        print(base); sys.exit(0)
    except OSError:
        pass
    finally:
        for s in socks: s.close()
sys.exit("no free port block")
EOF
}

json_field() { # $1 = field; JSON on stdin
    python3 -c 'import json,sys
try:
    v = json.load(sys.stdin).get(sys.argv[1])
except Exception:
    v = None
print("" if v is None else v)' "$1"
}

as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
sql() { PGPASSWORD=$DB_PASSWORD psql -X -q -h 127.0.0.1 -p "$PG_PORT" -U "$DB_USER" -d postgres -At -c "$1"; }
asa() { "$ASADMIN" --port "$ADMIN_PORT" --user admin --passwordfile "$PWFILE" "$@"; }

start_domain() {
    # only these settings come from the environment; ORCH_DB_USER, ORCH_DB_PASSWORD, ORCH_NODE_NAME
    # and ORCH_DATA_DIR come from MicroProfile Config sources set with asadmin below
    env ORCH_DB_URL="jdbc:postgresql://127.0.0.1:$PG_PORT/postgres" \
        ORCH_AGENTS_FILE="$AGENTS" \
        ORCH_API_TOKEN="$TOKEN" \
        ORCH_KILL_GRACE_SECONDS=5 \
        "$ASADMIN" start-domain --domaindir "$DOMAINDIR" "$DOMAIN" > "$WORK/start-domain.out" 2>&1
}

stop_domain() { "$ASADMIN" stop-domain --domaindir "$DOMAINDIR" "$DOMAIN" > "$WORK/stop-domain.out" 2>&1; }

http_code() { curl -s -o /dev/null -w '%{http_code}' --max-time 30 "$@"; }

await_ready() { # $1 = seconds; start-domain and deploy return before the application is ready
    local until=$(( $(date +%s) + $1 ))
    while [ "$(date +%s)" -lt "$until" ]; do
        # 200 alone is not enough: without the application /health/ready is UP with no checks
        curl -s -o "$WORK/ready.json" -w '%{http_code}' --max-time 30 "$BASE/health/ready" 2>/dev/null \
            | grep -q '^200$' && grep -q orchestrator-node "$WORK/ready.json" && return 0
        sleep 1
    done
    return 1
}

api() { curl -s --max-time 30 -H "Authorization: Bearer $TOKEN" "$@"; }
enqueue() { api -H 'Content-Type: application/json' -X POST -d "{\"agent\": \"$1\", \"repo\": \"$2\"}" "$BASE/api/jobs" | json_field id; }
job_status() { api "$BASE/api/jobs/$1" | json_field status; }

await_status() { # $1 = job, $2 = status, $3 = seconds
    local until=$(( $(date +%s) + $3 ))
    while [ "$(date +%s)" -lt "$until" ]; do
        [ "$(job_status "$1")" = "$2" ] && return 0
        sleep 1
    done
    return 1
}

await_file() { # $1 = path, $2 = seconds
    local until=$(( $(date +%s) + $2 ))
    while [ "$(date +%s)" -lt "$until" ]; do
        [ -e "$1" ] && return 0
        sleep 0.5
    done
    return 1
}

log_lines() { grep -c -- "$1" "$SERVER_LOG" 2>/dev/null || true; }

PG_STARTED=0
DOMAIN_CREATED=0
cleanup() {
    if [ "$DOMAIN_CREATED" = 1 ]; then stop_domain || true; fi
    if [ "$PG_STARTED" = 1 ]; then as_pg "$PGBIN/pg_ctl" -D "$PGDIR/data" -m fast -w stop > /dev/null 2>&1 || true; fi
    [ -n "${PGDIR:-}" ] && rm -rf "$PGDIR"
    if [ "${KEEP_WORK:-0}" != 1 ] && [ -d "$WORK/payara6" ]; then rm -rf "$WORK/payara6"; fi
}
trap cleanup EXIT
trap "exit 130" INT TERM
abort() { fail "$*"; summary; exit 1; }

# ------------------------------------------------------------------ 0. what is needed
for tool in mvn unzip curl psql python3; do
    command -v "$tool" > /dev/null || abort "$tool is installed"
done
[ -f "$WAR" ] || abort "target/orchestrator.war exists (build it: mvn -B -q package -DskipTests)"
[ -x "$PGBIN/initdb" ] || abort "PostgreSQL binaries in $PGBIN (set PGBIN)"
rm -rf "$WORK"
mkdir -p "$WORK" "$DATA" "$LOCKS"
SERVER_LOG=$DOMAINDIR/$DOMAIN/logs/server.log

# ------------------------------------------------------------------ 1. Payara Server through Maven
log "fetching fish.payara.distributions:payara:$PAYARA_VERSION:zip through Maven"
fetch() { mvn -B -q "$@" -f "$ROOT/pom.xml" dependency:copy \
    -Dartifact="fish.payara.distributions:payara:$PAYARA_VERSION:zip" -DoutputDirectory="$WORK" \
    -Dmdep.overWriteReleases=true > "$WORK/fetch.out" 2>&1; }
fetch -o || fetch || abort "fetch Payara Server $PAYARA_VERSION (see $WORK/fetch.out)"
unzip -q "$WORK/payara-$PAYARA_VERSION.zip" -d "$WORK" || abort "unpack Payara Server"
ASADMIN=$WORK/payara6/bin/asadmin
pass "Payara Server $PAYARA_VERSION fetched through Maven and unpacked under target/"

# ------------------------------------------------------------------ 2. PostgreSQL
PG_PORT=$(free_ports 1)
PGDIR=$(mktemp -d /tmp/orch-smoke-pg.XXXXXX)
chmod 755 "$PGDIR"
printf '%s\n' "$DB_PASSWORD" > "$PGDIR/pw"
[ "$(id -u)" = 0 ] && chown -R postgres "$PGDIR"
as_pg "$PGBIN/initdb" -D "$PGDIR/data" -U "$DB_USER" --pwfile="$PGDIR/pw" --auth-local=trust \
    --auth-host=scram-sha-256 --no-sync -E UTF8 > "$WORK/initdb.out" 2>&1 || abort "initdb (see $WORK/initdb.out)"
pg_start() { as_pg "$PGBIN/pg_ctl" -D "$PGDIR/data" -l "$PGDIR/postgres.log" \
    -o "-p $PG_PORT -k $PGDIR -c listen_addresses=127.0.0.1" -w start > /dev/null 2>&1; }
pg_stop() { as_pg "$PGBIN/pg_ctl" -D "$PGDIR/data" -m fast -w stop > /dev/null 2>&1; }
pg_start || abort "PostgreSQL starts"
PG_STARTED=1
check "PostgreSQL 15 on 127.0.0.1:$PG_PORT, password (scram) required over TCP" \
    test "$(PGPASSWORD=wrong psql -X -h 127.0.0.1 -p "$PG_PORT" -U "$DB_USER" -d postgres -Atc 'SELECT 1' 2>/dev/null)" != 1

# ------------------------------------------------------------------ 3. the agents
# slow: 20 s under a per-job mkdir lock; finding the lock taken means two runs overlap -> DOUBLE marker
SLOW='d="$1/$ORCH_JOB_ID"; if ! mkdir "$d" 2>/dev/null; then touch "$1/DOUBLE-$ORCH_JOB_ID"; fi; echo "start attempt=$ORCH_ATTEMPT pid=$$" >> "$1/runs-$ORCH_JOB_ID"; trap '"'"'rmdir "$d" 2>/dev/null; echo "terminated pid=$$" >> "$1/runs-$ORCH_JOB_ID"; exit 143'"'"' TERM; i=0; while [ $i -lt 40 ]; do sleep 0.5; i=$((i+1)); done; rmdir "$d"; echo "finished pid=$$" >> "$1/runs-$ORCH_JOB_ID"; touch "$1/FINISHED-$ORCH_JOB_ID"'
python3 - "$AGENTS" "$SLOW" "$LOCKS" <<'EOF'
import json, sys
path, slow, locks = sys.argv[1:4]
json.dump({"agents": {
    "true": {"command": ["/bin/true"], "timeout_seconds": 60},
    "slow": {"command": ["/bin/sh", "-c", slow, "slow", locks], "timeout_seconds": 300},
}}, open(path, "w"), indent=2)
EOF

# ------------------------------------------------------------------ 4. the domain
PORTBASE=$(free_ports 100)
ADMIN_PORT=$((PORTBASE + 48))
HTTP_PORT=$((PORTBASE + 80))
BASE=http://127.0.0.1:$HTTP_PORT
printf 'AS_ADMIN_PASSWORD=\nAS_ADMIN_ALIASPASSWORD=%s\n' "$DB_PASSWORD" > "$PWFILE"
chmod 600 "$PWFILE"
log "creating domain $DOMAIN (admin port $ADMIN_PORT, HTTP port $HTTP_PORT)"
"$ASADMIN" --user admin create-domain --nopassword=true --portbase "$PORTBASE" --domaindir "$DOMAINDIR" "$DOMAIN" \
    > "$WORK/create-domain.out" 2>&1 || abort "create-domain (see $WORK/create-domain.out)"
DOMAIN_CREATED=1
start_domain || abort "start-domain (see $WORK/start-domain.out)"
pass "domain created and started on free ports (portbase $PORTBASE)"

# the settings a Payara admin gives without the environment (MicroProfile Config sources)
asa set-config-property --source=domain --propertyName=ORCH_DB_USER --propertyValue="$DB_USER" > "$WORK/config.out" 2>&1 \
    && asa create-password-alias ORCH_DB_PASSWORD >> "$WORK/config.out" 2>&1 \
    && asa create-system-properties "ORCH_NODE_NAME=smoke-node" >> "$WORK/config.out" 2>&1 \
    && asa multimode --file "$ROOT/server-config/payara-server-commands.asadmin" >> "$WORK/config.out" 2>&1
check "ORCH_DB_USER by set-config-property, ORCH_DB_PASSWORD by password alias, ORCH_NODE_NAME by system property, listener commands of payara-server-commands.asadmin applied" \
    test $? = 0

# ------------------------------------------------------------------ 5. a relative data directory is refused
asa deploy --contextroot / --name orchestrator "$WAR" > "$WORK/deploy-relative.out" 2>&1
DEPLOY_RC=$?
check "deploy without ORCH_DATA_DIR fails, naming the setting (the default 'data' would land in the domain's config directory)" \
    bash -c "[ $DEPLOY_RC != 0 ] && grep -q \"ORCH_DATA_DIR is not set and its default 'data' is a relative path\" '$SERVER_LOG' '$WORK/deploy-relative.out'"
check "nothing written under the domain's config directory" test ! -e "$DOMAINDIR/$DOMAIN/config/data"
asa undeploy orchestrator > /dev/null 2>&1 || true

asa create-system-properties "ORCH_DATA_DIR=$DATA" >> "$WORK/config.out" 2>&1 || abort "create-system-properties ORCH_DATA_DIR"

# ------------------------------------------------------------------ 6. deploy, one job
asa deploy --contextroot / --name orchestrator "$WAR" > "$WORK/deploy.out" 2>&1 \
    || abort "asadmin deploy --contextroot / target/orchestrator.war (see $WORK/deploy.out and $SERVER_LOG)"
pass "asadmin deploy --contextroot / target/orchestrator.war"
check "readiness (GET /health/ready) answers 200 within 120 s" await_ready 120
READY=$(curl -s "$BASE/health/ready")
check "readiness names its checks (database, schema, node)" \
    bash -c "grep -q orchestrator-database <<<'$READY' && grep -q orchestrator-schema <<<'$READY' && grep -q orchestrator-node <<<'$READY'"
check "liveness (GET /health/live) answers 200 with the dispatcher check" \
    bash -c "[ \"\$(curl -s -o '$WORK/live.json' -w '%{http_code}' '$BASE/health/live')\" = 200 ] && grep -q orchestrator-dispatcher '$WORK/live.json'"
check "no X-Powered-By / Server header (listener commands took effect)" \
    bash -c "! curl -sI '$BASE/health/ready' | grep -qiE '^(x-powered-by|server):'"
check "start-up logged the schema's version, not null" \
    bash -c "grep -q 'schema at version [0-9]' '$SERVER_LOG' && ! grep -q 'schema at version null' '$SERVER_LOG'"
check "the node's name came from the system property ORCH_NODE_NAME" \
    test "$(sql "SELECT count(*) FROM nodes WHERE id LIKE 'smoke-node:%'")" -ge 1

check "without a token the API answers 401 with WWW-Authenticate: Bearer (problem document)" \
    bash -c "curl -s -i --max-time 30 -X POST -H 'Content-Type: application/json' -d '{\"agent\":\"true\",\"repo\":\"smoke\"}' '$BASE/api/jobs' | tr -d '\r' | grep -q '^WWW-Authenticate: Bearer realm=\"orchestrator\"'"
check "an unknown path answers a problem document, not an HTML page" \
    bash -c "curl -s -i --max-time 30 '$BASE/WEB-INF/web.xml' | tr -d '\r' | grep -qi '^Content-Type: application/problem+json'"
JOB1=$(enqueue true smoke)
[ -n "$JOB1" ] || abort "POST /api/jobs with a bearer token creates a job"
pass "POST /api/jobs with a bearer token creates a job (id $JOB1)"
check "the job runs /bin/true and ends done" await_status "$JOB1" done 60
check "its run files are under the absolute ORCH_DATA_DIR" test -d "$DATA/runs/$JOB1"

# ------------------------------------------------------------------ 7. restart the domain with a job running
JOB2=$(enqueue slow restart)
[ -n "$JOB2" ] || abort "POST /api/jobs creates the 20 s job"
check "a 20 s job is running (its lock is held)" await_file "$LOCKS/$JOB2" 60
log "restarting the domain while job $JOB2 runs"
stop_domain
check "stop-domain" test $? = 0
start_domain
check "start-domain again (same environment)" test $? = 0
check "after the domain restart the application is ready again (no 'No suitable driver')" await_ready 180
check "no 'No suitable driver' in the server log" test "$(log_lines 'No suitable driver')" = 0
check "start-up against the migrated schema logged its version (schema at version N, 0 applied)" \
    bash -c "grep -q 'schema at version [0-9][0-9]* (0 migration' '$SERVER_LOG'"
check "the domain's orderly stop handed the running job back (first run abandoned, no attempt counted)" \
    test "$(sql "SELECT outcome FROM agent_runs WHERE job_id = $JOB2 ORDER BY id LIMIT 1")" = abandoned
check "the interrupted job is recovered and finishes done" await_status "$JOB2" done 180
check "its agent ran to the end once" test -e "$LOCKS/FINISHED-$JOB2"
check "no second overlapping run (no DOUBLE marker)" test ! -e "$LOCKS/DOUBLE-$JOB2"
RUNS=$(sql "SELECT count(*) FROM agent_runs WHERE job_id = $JOB2")
OVERLAPS=$(sql "SELECT count(*) FROM agent_runs a JOIN agent_runs b ON a.job_id = b.job_id AND a.id < b.id
                WHERE a.job_id = $JOB2 AND (a.finished_at IS NULL OR a.finished_at > b.started_at)")
OPEN=$(sql "SELECT count(*) FROM agent_runs WHERE job_id = $JOB2 AND finished_at IS NULL")
check "agent_runs: $RUNS runs of job $JOB2, none open, none overlapping the next" \
    bash -c "[ '$RUNS' -ge 2 ] && [ '$OPEN' = 0 ] && [ '$OVERLAPS' = 0 ]"
log "runs of job $JOB2: $(sql "SELECT string_agg(id || ':' || outcome || ' ' || to_char(started_at, 'HH24:MI:SS') || '-' || to_char(finished_at, 'HH24:MI:SS'), ', ' ORDER BY id) FROM agent_runs WHERE job_id = $JOB2")"
log "agent's own record: $(tr '\n' ';' < "$LOCKS/runs-$JOB2")"

# ------------------------------------------------------------------ 8. readiness follows the database
pg_stop
DOWN_CODE=$(curl -s -o "$WORK/ready-down.json" -w '%{http_code}' --max-time 60 "$BASE/health/ready")
check "with PostgreSQL stopped, readiness answers 503 with orchestrator-database DOWN" \
    bash -c "[ '$DOWN_CODE' = 503 ] && python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if any(c[\"name\"]==\"orchestrator-database\" and c[\"status\"]==\"DOWN\" for c in d[\"checks\"]) else 1)' '$WORK/ready-down.json'"
check "liveness stays UP meanwhile" test "$(http_code "$BASE/health/live")" = 200
pg_start
check "PostgreSQL back: readiness answers 200 again" await_ready 120

# ------------------------------------------------------------------ 9. undeploy: every node records its stop
# "web application []" is the application at context root / being stopped; Payara's deployment-time
# class loader is reported as "[unknown]"
FORCED_BEFORE=$(log_lines 'web application \[\] registered the JDBC driver')
asa undeploy orchestrator > "$WORK/undeploy.out" 2>&1
check "asadmin undeploy" test $? = 0
check "after undeploy no node is left without stopped_at" test "$(sql "SELECT count(*) FROM nodes WHERE stopped_at IS NULL")" = 0
asa deploy --contextroot / --name orchestrator "$WAR" > "$WORK/deploy2.out" 2>&1
DEPLOYED_AT=$(date +%s)
asa undeploy orchestrator >> "$WORK/undeploy.out" 2>&1
UNDEPLOY_RC=$?
check "redeploy then undeploy within $(( $(date +%s) - DEPLOYED_AT )) s" test "$UNDEPLOY_RC" = 0
check "that node recorded its stop too (stopped_at set for every node)" \
    test "$(sql "SELECT count(*) FROM nodes WHERE stopped_at IS NULL")" = 0
check "undeploys logged no JDBC driver of the application 'forcibly unregistered'" \
    test "$(log_lines 'web application \[\] registered the JDBC driver')" = "$FORCED_BEFORE"
log "'forcibly unregistered' lines: application [] $(log_lines 'web application \[\] registered the JDBC driver'), deployment-time [unknown] $(log_lines 'web application \[unknown\] registered the JDBC driver')"
log "node stops: $(grep -o 'node [^ ]* stopped: [0-9]* running job(s) handed back' "$SERVER_LOG" | tr '\n' ';')"
check "no job left running or queued" test "$(sql "SELECT count(*) FROM jobs WHERE status IN ('running', 'queued')")" = 0
log "nodes: $(sql "SELECT string_agg(id || ' stopped ' || to_char(stopped_at, 'HH24:MI:SS'), ', ' ORDER BY started_at) FROM nodes")"

# ------------------------------------------------------------------ 10. stop
stop_domain
check "stop-domain" test $? = 0
DOMAIN_CREATED=0
pg_stop
check "PostgreSQL stopped" test $? = 0
PG_STARTED=0
cp "$SERVER_LOG" "$WORK/server.log" 2>/dev/null && SERVER_LOG=$WORK/server.log

summary
[ "$FAILURES" -eq 0 ]
