package dev.orchestrator.api;

/**
 * The examples of the OpenAPI document ({@code /openapi}): request bodies, answers and problem
 * documents as the API writes them (docs/api.md shows the same).
 */
final class ApiExamples {
    private ApiExamples() {
    }

    static final String PROBLEM = "application/problem+json";

    static final String ENQUEUE = """
            {"agent": "echo", "repo": "demo", "payload": {"task": "say hello"}, "priority": 5}""";

    static final String JOB = """
            {"id": 42, "agent": "echo", "repo": "demo", "status": "queued", "priority": 5, "attempts": 0,
             "max_attempts": 3, "transient_attempts": 0, "available_at": "2026-11-28T08:00:00.123456Z",
             "run_id": null, "pid": null, "started_at": null, "finished_at": null, "error": null,
             "created_at": "2026-11-28T08:00:00.123456Z", "updated_at": "2026-11-28T08:00:00.123456Z",
             "payload": {"task": "say hello"}, "cancel_requested": false, "submitted_by": "admin",
             "depends_on": [], "runs": []}""";

    static final String JOB_CANCELLING = """
            {"id": 42, "agent": "echo", "repo": "demo", "status": "running", "priority": 0, "attempts": 0,
             "max_attempts": 3, "transient_attempts": 0, "available_at": "2026-11-28T08:00:00.123456Z",
             "run_id": 130, "pid": 48211, "started_at": "2026-11-28T08:00:00.200000Z", "finished_at": null,
             "error": null, "created_at": "2026-11-28T08:00:00.123456Z",
             "updated_at": "2026-11-28T08:00:05.000000Z", "payload": {}, "cancel_requested": true,
             "submitted_by": "ci", "depends_on": [], "runs": [{"id": 130, "attempt": 1, "node": "web-1:4242:ab12cd34",
             "pid": 48211, "process_started_at": "2026-11-28T08:00:00.210000Z",
             "started_at": "2026-11-28T08:00:00.200000Z", "finished_at": null, "exit_code": null,
             "outcome": null, "error": null}]}""";

    static final String JOB_PAGE = """
            {"jobs": [{"id": 42, "agent": "echo", "repo": "demo", "status": "done", "priority": 0,
             "attempts": 0, "max_attempts": 3, "transient_attempts": 0,
             "available_at": "2026-11-28T08:00:00.123456Z", "run_id": 130, "pid": 48211,
             "started_at": "2026-11-28T08:00:00.200000Z", "finished_at": "2026-11-28T08:00:01.000000Z",
             "error": null, "created_at": "2026-11-28T08:00:00.123456Z",
             "updated_at": "2026-11-28T08:00:01.000000Z", "payload": {}, "cancel_requested": false,
             "submitted_by": "ci", "depends_on": null, "runs": null}], "next_cursor": 42}""";

    static final String QUEUE = """
            {"counts": {"queued": 3, "running": 1, "done": 120, "failed": 2, "cancelled": 1},
             "max_concurrency": 2,
             "gates": {"serial": true, "dependencies": true, "agent_limits": {"claude": 1}},
             "paused": {"all": false, "repos": ["web"]},
             "running": [],
             "reaper": {"enabled": {"reaper": true, "sanitize": true, "liveness": true, "lease_reclaim": true,
             "timeout_backstop": true}, "last_tick_at": "2026-11-28T08:00:10.000000Z", "last_tick_ms": 4}}""";

    static final String PAUSED = """
            {"all": false, "repos": ["web"]}""";

    static final String LOG = """
            attempt=1 repo=demo
            payload={"task": "say hello"}
            """;

    static final String LOG_STREAM = """
            event: log
            id: 20
            data: attempt=1 repo=demo

            event: log
            id: 50
            data: payload={"task": "say hello"}
            data:

            event: end
            id: 50
            data: {"run_id":130,"job_id":42,"outcome":"done","exit_code":0,"error":null,"finished_at":"2026-11-28T08:00:07.000000Z","log_bytes":50}
            """;

    static final String P404_RUN_ELSEWHERE = """
            {"type": "about:blank", "title": "Not Found", "status": 404,
             "detail": "run 130 has no log on this node: it ran on node build-2:4242:9c1f2a3b (host build-2); ask that node, unless retention pruned its files",
             "field": null}""";

    static final String P503_STREAMS = """
            {"type": "about:blank", "title": "Service Unavailable", "status": 503,
             "detail": "64 streams (log and event streams) are open on this node, the most ORCH_MAX_SSE_STREAMS allows; retry later",
             "field": null}""";

    static final String EVENT_STREAM = """
            event: claimed
            id: 7431-1207
            data: {"id":"7431-1207","type":"claimed","at":"2026-11-28T08:00:05.120Z","job_id":42,"repo":"demo","agent":"echo","status":"running","run_id":130,"node":"build-2:4242:9c1f2a3b","attempts":1,"available_at":null,"scope":null}

            event: finished
            id: 7436-1215
            data: {"id":"7436-1215","type":"finished","at":"2026-11-28T08:00:07.000Z","job_id":42,"repo":"demo","agent":"echo","status":"done","run_id":130,"node":"build-2:4242:9c1f2a3b","attempts":1,"available_at":null,"scope":null}

            event: keep-alive
            id: 7502-1290
            data: {"id":"7502-1290","type":"keep-alive"}
            """;

    static final String P410_EVENTS = """
            {"type": "about:blank", "title": "Gone", "status": 410,
             "detail": "events after 7431-1207 were deleted by retention (ORCH_EVENT_RETENTION_HOURS): reload what you show and reconnect without Last-Event-ID",
             "field": "Last-Event-ID"}""";

    static final String NODES = """
            {"nodes": [{"id": "build-2:4242:9c1f2a3b", "host": "build-2", "started_at": "2026-11-28T07:00:00Z",
             "heartbeat_at": "2026-11-28T08:00:00Z", "heartbeat_age_seconds": 3.2,
             "lease_expires_at": "2026-11-28T08:02:00Z", "stopped_at": null, "running": 2}]}""";

    static final String THROUGHPUT = """
            {"minutes": [{"minute": "2026-11-28T07:01:00Z", "done": 12, "failed": 1, "cancelled": 0},
             {"minute": "2026-11-28T07:02:00Z", "done": 0, "failed": 0, "cancelled": 0}]}""";

    static final String ME = """
            {"name": "ops", "roles": ["read", "submit", "operate"], "repos": ["team-a-*"]}""";

    static final String AUDIT_PAGE = """
            {"events": [{"id": 7, "at": "2026-11-28T08:00:05.000000Z", "actor": "ops", "action": "cancel",
             "target": "job:42", "result": "done", "detail": null, "client_address": "10.0.0.5"}],
             "next_cursor": null}""";

    static final String TOKENS = """
            {"tokens": [{"name": "ci", "roles": ["submit"], "repos": ["web-*"], "source": "tokens file"},
             {"name": "admin", "roles": ["admin"], "repos": [], "source": "ORCH_API_TOKEN"}]}""";

    static final String P400 = """
            {"type": "about:blank", "title": "Bad Request", "status": 400,
             "detail": "unknown agent 'ecoh'; configured agents: [echo, flaky, sleep]", "field": "agent"}""";
    static final String P401 = """
            {"type": "about:blank", "title": "Unauthorized", "status": 401,
             "detail": "the API token is not valid"}""";
    static final String P403 = """
            {"type": "about:blank", "title": "Forbidden", "status": 403,
             "detail": "token 'ci' lacks the role 'operate' that this request needs", "field": null}""";
    static final String P404 = """
            {"type": "about:blank", "title": "Not Found", "status": 404, "detail": "no job with id 42",
             "field": null}""";
    static final String P409 = """
            {"type": "about:blank", "title": "Conflict", "status": 409,
             "detail": "cannot cancel job 42: it is done", "field": null}""";
    static final String P409_KEY = """
            {"type": "about:blank", "title": "Conflict", "status": 409,
             "detail": "Idempotency-Key '6f1c2d3e-build-demo-1' was used for job 41 with a different request",
             "field": null}""";
    static final String BATCH = """
            {"jobs": [
              {"agent": "build", "repo": "demo", "payload": {"target": "lib"}},
              {"agent": "build", "repo": "demo", "payload": {"target": "app"}, "depends_on_index": [0]},
              {"agent": "test", "repo": "demo", "depends_on_index": [1], "depends_on": [40]}
            ]}""";
    static final String BATCH_ANSWER = """
            {"jobs": [
              {"id": 42, "agent": "build", "repo": "demo", "status": "queued", "priority": 0, "attempts": 0,
               "max_attempts": 3, "transient_attempts": 0, "available_at": "2026-11-28T08:00:00.123456Z",
               "run_id": null, "pid": null, "started_at": null, "finished_at": null, "error": null,
               "created_at": "2026-11-28T08:00:00.123456Z", "updated_at": "2026-11-28T08:00:00.123456Z",
               "payload": {"target": "lib"}, "cancel_requested": false, "submitted_by": "ci",
               "depends_on": [], "runs": [], "waiting_for": null},
              {"id": 43, "agent": "build", "repo": "demo", "status": "queued", "depends_on": [42], "...": "..."},
              {"id": 44, "agent": "test", "repo": "demo", "status": "queued", "depends_on": [40, 43], "...": "..."}
            ]}""";
    static final String P400_BATCH = """
            {"type": "about:blank", "title": "Bad Request", "status": 400,
             "detail": "2 jobs of the batch are invalid; nothing was enqueued. First: jobs[1].agent: unknown agent 'biuld'; configured agents: [build, test]",
             "field": "jobs[1].agent",
             "errors": [
               {"index": 1, "field": "jobs[1].agent", "detail": "unknown agent 'biuld'; configured agents: [build, test]"},
               {"index": 3, "field": "jobs[3].depends_on_index", "detail": "depends_on_index may only name earlier jobs of the batch (0..2), not 5"}
             ]}""";
    static final String P403_BATCH = """
            {"type": "about:blank", "title": "Forbidden", "status": 403,
             "detail": "token 'team-a' may not enqueue for repo 'other' (jobs[2]; it is limited to repos [team-a-*]); nothing was enqueued",
             "field": null}""";
    static final String P409_RETRY = """
            {"type": "about:blank", "title": "Conflict", "status": 409,
             "detail": "cannot retry job 42: it is queued", "field": null}""";
    static final String P404_RUN = """
            {"type": "about:blank", "title": "Not Found", "status": 404, "detail": "no run with id 130",
             "field": null}""";
    static final String P413 = """
            {"type": "about:blank", "title": "Content Too Large", "status": 413,
             "detail": "the request body is 3000000 bytes; at most 2097152 are accepted (ORCH_MAX_REQUEST_BYTES)",
             "field": null}""";
    static final String P415 = """
            {"type": "about:blank", "title": "Unsupported Media Type", "status": 415,
             "detail": "a request body needs Content-Type: application/json", "field": "Content-Type"}""";
    static final String P503 = """
            {"type": "about:blank", "title": "Service Unavailable", "status": 503,
             "detail": "the database is unavailable; retry in 5 s (quote 5b0c7f9e-3a61-4d0e-9a43-0f6f1e2d8c11 when reporting it)",
             "field": null}""";
}
