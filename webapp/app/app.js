// The dashboard: a hash router over plain DOM views. Every view reads the REST API with the token of
// this browser tab (sessionStorage) and follows GET /api/events to stay current without a reload.
import { call, probe, follow, token, setToken, signOut, ApiError } from "./api.js";

const main = document.getElementById("view");
const nav = document.getElementById("nav");
const who = document.getElementById("who");
let me = null; // {name, roles, repos} of the token
let leave = null; // AbortController of the view on screen

// ------------------------------------------------------------------ small DOM helpers (no innerHTML)

function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "class") el.className = v;
    else el.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

/** Replaces el's children with the given ones, skipping null, undefined and false. */
function fill(el, ...children) {
  el.replaceChildren(...children.flat().filter((c) => c !== null && c !== undefined && c !== false));
}

const STATUS_MARK = { queued: "◷", running: "▶", done: "✔", failed: "✖", cancelled: "⊘" };

/** A status as a word with a shape and a colour: readable without the colour. */
function status(s) {
  return h("span", { class: `status status-${s}`, "data-status": s }, `${STATUS_MARK[s] || "•"} ${s}`);
}

function time(iso) {
  if (!iso) return "—";
  const d = new Date(iso);
  return h("time", { datetime: iso, title: iso }, d.toLocaleString());
}

function duration(fromIso, toIso) {
  if (!fromIso) return "—";
  const ms = (toIso ? new Date(toIso) : new Date()) - new Date(fromIso);
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

function jobLink(id) {
  return h("a", { href: `#/jobs/${id}` }, `#${id}`);
}

function notice(text, kind = "error") {
  return h("p", { class: `notice notice-${kind}`, role: kind === "error" ? "alert" : "status" }, text);
}

function may(role) {
  return me !== null && me.roles.includes(role);
}

function mayTouch(repo) {
  if (!me || me.repos.length === 0) return true;
  return me.repos.some((p) => new RegExp(`^${p.replace(/[.]/g, "\\.").replace(/\*/g, ".*")}$`).test(repo));
}

function errorText(e) {
  if (e instanceof ApiError) return e.message;
  return "something went wrong in the page; reload it";
}

/** Asks before an action; resolves true if confirmed. */
function confirmAction(question, confirmLabel) {
  return new Promise((resolve) => {
    const dialog = h("dialog", { class: "confirm", "aria-label": "Confirm" },
      h("p", {}, question),
      h("div", { class: "buttons" },
        h("button", { type: "button", class: "secondary", "data-action": "back", onclick: () => dialog.close("no") }, "Back"),
        h("button", { type: "button", class: "danger", "data-action": "confirm", onclick: () => dialog.close("yes") },
          confirmLabel)));
    dialog.addEventListener("close", () => {
      dialog.remove();
      resolve(dialog.returnValue === "yes");
    });
    document.body.append(dialog);
    dialog.showModal();
  });
}

/** Runs an action after confirmation; reports its outcome in `where`, then calls `after`. */
async function act(question, label, path, where, after) {
  if (!(await confirmAction(question, label))) return;
  try {
    await call(path, { method: "POST" });
    fill(where, notice(`${label}: done`, "ok"));
  } catch (e) {
    fill(where, notice(`${label}: ${errorText(e)}`));
  }
  if (after) after();
}

/** Calls fn at most once per `ms` while events keep coming. */
function debounce(fn, ms) {
  let timer = null;
  return () => {
    if (timer) return;
    timer = setTimeout(() => {
      timer = null;
      fn();
    }, ms);
  };
}

// ------------------------------------------------------------------ sign-in

function signInView(message) {
  nav.hidden = true;
  fill(who, );
  const input = h("input", { id: "token", type: "password", autocomplete: "off", required: true,
    "aria-describedby": "token-help", spellcheck: "false" });
  const status = h("div", { id: "sign-in-status" }, message ? notice(message) : null);
  const form = h("form", { id: "sign-in", class: "card" },
    h("h1", {}, "Sign in"),
    h("label", { for: "token" }, "API token"),
    input,
    h("p", { id: "token-help", class: "help" },
      "Paste a token once: it is kept in this tab only (sessionStorage) and sent as a bearer header."),
    h("button", { type: "submit" }, "Sign in"),
    status);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    setToken(input.value.trim());
    try {
      me = await call("tokens/me");
      route();
    } catch (e) {
      signOut();
      fill(status, notice(e instanceof ApiError && e.status === 401
        ? "This token is not valid." : errorText(e)));
    }
  });
  fill(main, form);
  input.focus();
}

function showWho() {
  nav.hidden = false;
  fill(who, 
    h("span", { id: "who-name" }, `${me.name} (${me.roles[me.roles.length - 1]}${me.repos.length ? `; repos ${me.repos.join(", ")}` : ""})`),
    h("button", { type: "button", class: "link", id: "sign-out", onclick: () => { signOut(); me = null; location.hash = "#/"; route(); } }, "Sign out"));
  document.getElementById("nav-audit").hidden = !may("admin");
}

// ------------------------------------------------------------------ overview

function overviewView(signal) {
  const counts = h("section", { class: "cards", id: "counts", "aria-label": "Jobs by status" });
  const capacity = h("section", { class: "card", id: "capacity" });
  const gates = h("section", { class: "card", id: "gates" });
  const pauseState = h("p", { id: "pause-state" });
  const pauseControls = pauseActions(load); // built once: a refresh must not wipe a repo name being typed
  const pauses = h("section", { class: "card", id: "pauses" }, h("h2", {}, "Claiming"), pauseState,
    pauseControls.element);
  const chart = h("section", { class: "card", id: "throughput" }, h("h2", {}, "Finished per minute, last hour"));
  const running = h("section", { class: "card", id: "running" });
  const message = h("div", { id: "overview-message", "aria-live": "polite" });
  fill(main, h("h1", {}, "Queue"), message, counts, h("div", { class: "grid" }, capacity, gates, pauses),
    chart, running);
  let plot = null;

  async function load() {
    try {
      const [q, wedge, tp] = await Promise.all([call("queue", { signal }), probe("wedge").catch(() => null),
        call("queue/throughput", { signal })]);
      fill(counts, ...Object.entries(q.counts).map(([s, n]) =>
        h("a", { class: "count", href: `#/jobs?status=${s}`, "data-count": s }, h("strong", {}, String(n)), status(s))));
      const age = wedge && wedge.checks && wedge.checks[0] && wedge.checks[0].data
        ? wedge.checks[0].data.oldest_claimable_age_seconds : null;
      fill(capacity, h("h2", {}, "Capacity"),
        h("p", { id: "capacity-use" }, `${q.counts.running} of ${q.max_concurrency} slots in use`),
        h("meter", { min: 0, max: q.max_concurrency, value: q.counts.running, "aria-label": "slots in use" }),
        h("p", {}, "Oldest claimable job waiting: ", h("strong", { id: "oldest-claimable" }, age === null ? "—" : `${age} s`)),
        wedge && wedge.status === "DOWN" ? notice(`Wedge alarm: ${wedge.checks[0].data.reason}`) : null);
      fill(gates, h("h2", {}, "Queued jobs by what holds them"),
        h("table", { id: "gate-counts" }, h("tbody", {}, ...Object.entries(q.waiting).map(([g, n]) =>
          h("tr", {}, h("th", { scope: "row" }, g.replace(/_/g, " ")), h("td", { "data-gate": g }, String(n)))))));
      const pausedRepos = q.paused.repos;
      fill(pauseState, q.paused.all ? "Paused for every repo." : "Claiming everywhere",
        pausedRepos.length ? ` except paused repos: ${pausedRepos.join(", ")}.` : q.paused.all ? "" : ".");
      pauseControls.update(q.paused);
      fill(running, h("h2", {}, `Running now (${q.running.length})`), jobTable(q.running, { compact: true }));
      drawChart(tp.minutes);
      fill(message, );
    } catch (e) {
      if (e.name !== "AbortError") fill(message, notice(errorText(e)));
    }
  }

  function drawChart(minutes) {
    const xs = minutes.map((m) => Date.parse(m.minute) / 1000);
    const data = [xs, minutes.map((m) => m.done), minutes.map((m) => m.failed), minutes.map((m) => m.cancelled)];
    const total = minutes.reduce((a, m) => a + m.done + m.failed + m.cancelled, 0);
    chart.setAttribute("data-total", String(total));
    if (!window.uPlot) {
      fill(chart, chart.firstChild, h("p", {}, `${total} jobs finished in the last hour`));
      return;
    }
    const width = Math.max(280, Math.min(chart.clientWidth - 32, 1100));
    if (plot) {
      plot.setData(data);
      plot.setSize({ width, height: 180 });
      return;
    }
    plot = new window.uPlot({
      width, height: 180,
      series: [{}, { label: "done", stroke: "#1b7f3b", width: 2 },
        { label: "failed", stroke: "#b3261e", width: 2, dash: [6, 3] },
        { label: "cancelled", stroke: "#6b6b6b", width: 2, dash: [2, 3] }],
      axes: [{}, { label: "jobs / min" }],
    }, data, chart);
    chart.append(h("p", { class: "help" }, `${total} jobs finished in the last hour (done solid, failed dashed, cancelled dotted).`));
  }

  load();
  const refresh = debounce(load, 2000); // at most one reload per 2 s however busy the queue
  follow("events", { signal, onEvent: refresh, onGone: refresh });
  const timer = setInterval(load, 30000);
  signal.addEventListener("abort", () => clearInterval(timer));
}

/** The pause and resume buttons (operate); update(paused) shows "Pause all" or "Resume all". */
function pauseActions(after) {
  if (!may("operate")) return { element: null, update: () => {} };
  const where = h("div", { class: "action-result", "aria-live": "polite" });
  const repo = h("input", { id: "pause-repo", placeholder: "repo", "aria-label": "repo to pause or resume", size: 16 });
  const all = h("span");
  const everything = me.repos.length === 0; // a repo-scoped token cannot pause everything
  const element = h("div", { class: "actions" }, all,
    h("span", { class: "inline" }, repo,
      h("button", { type: "button", "data-action": "pause-repo", onclick: () => repo.value && act(`Pause claiming for repo ${repo.value}? Its running jobs go on.`, "Pause", `queue/pause?repo=${encodeURIComponent(repo.value)}`, where, after) }, "Pause repo"),
      h("button", { type: "button", class: "secondary", "data-action": "resume-repo", onclick: () => repo.value && act(`Resume claiming for repo ${repo.value}?`, "Resume", `queue/resume?repo=${encodeURIComponent(repo.value)}`, where, after) }, "Resume repo")),
    where);
  return {
    element,
    update(paused) {
      fill(all, !everything ? null : paused.all
        ? h("button", { type: "button", "data-action": "resume-all", onclick: () => act("Resume claiming for every repo?", "Resume", "queue/resume", where, after) }, "Resume all")
        : h("button", { type: "button", class: "danger", "data-action": "pause-all", onclick: () => act("Pause claiming for every repo? Running jobs go on.", "Pause", "queue/pause", where, after) }, "Pause all"));
    },
  };
}

// ------------------------------------------------------------------ jobs

function jobTable(jobs, { compact = false } = {}) {
  if (jobs.length === 0) return h("p", { class: "empty" }, "No jobs.");
  return h("div", { class: "table-wrap" }, h("table", { class: "jobs" },
    h("thead", {}, h("tr", {}, h("th", {}, "Job"), h("th", {}, "Status"), h("th", {}, "Agent"), h("th", {}, "Repo"),
      compact ? null : h("th", {}, "Attempts"), h("th", {}, compact ? "Started" : "Created"))),
    h("tbody", {}, ...jobs.map((j) => h("tr", { "data-job": j.id },
      h("td", {}, jobLink(j.id)), h("td", { class: "job-status" }, status(j.status)), h("td", {}, j.agent),
      h("td", {}, j.repo), compact ? null : h("td", {}, `${j.attempts}/${j.max_attempts}`),
      h("td", {}, time(compact ? j.started_at : j.created_at)))))));
}

function jobsView(signal, params) {
  const filters = { status: params.get("status") || "", repo: params.get("repo") || "", agent: params.get("agent") || "" };
  const form = h("form", { id: "job-filters", class: "filters" },
    h("label", {}, "Status ", h("select", { name: "status" }, ...["", "queued", "running", "done", "failed", "cancelled"].map((s) =>
      h("option", { value: s, selected: s === filters.status }, s || "any")))),
    h("label", {}, "Repo ", h("input", { name: "repo", value: filters.repo, size: 14 })),
    h("label", {}, "Agent ", h("input", { name: "agent", value: filters.agent, size: 12 })),
    h("button", { type: "submit" }, "Filter"));
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const q = new URLSearchParams();
    for (const k of ["status", "repo", "agent"]) if (form.elements[k].value) q.set(k, form.elements[k].value);
    location.hash = `#/jobs${q.toString() ? `?${q}` : ""}`;
  });
  const list = h("div", { id: "job-list" });
  const pager = h("div", { class: "pager" });
  const message = h("div", { "aria-live": "polite" });
  const live = h("p", { class: "help", id: "live-state" }, "Connecting to live updates…");
  fill(main, h("h1", {}, "Jobs"), form, live, message, list, pager);
  const cursors = [params.get("cursor") || null];
  let rows = [];
  const fetching = new Map(); // job id -> the status of the last event that came while its row was read

  async function load(cursor) {
    const q = new URLSearchParams({ limit: "50" });
    for (const [k, v] of Object.entries(filters)) if (v) q.set(k, v);
    if (cursor) q.set("cursor", cursor);
    try {
      const page = await call(`jobs?${q}`, { signal });
      rows = page.jobs;
      fill(list, jobTable(rows));
      fill(pager, 
        cursors.length > 1 ? h("button", { type: "button", onclick: () => { cursors.pop(); load(cursors[cursors.length - 1]); } }, "← Newer") : null,
        page.next_cursor ? h("button", { type: "button", id: "older", onclick: () => { cursors.push(String(page.next_cursor)); load(String(page.next_cursor)); } }, "Older →") : null);
      fill(message, );
    } catch (e) {
      if (e.name !== "AbortError") fill(message, notice(errorText(e)));
    }
  }

  function onEvent(e) {
    let ev;
    try {
      ev = JSON.parse(e.data);
    } catch (ignored) {
      return;
    }
    if (ev.job_id === null) return;
    if (fetching.has(ev.job_id)) {
      fetching.set(ev.job_id, ev.status); // the row is being read: this status is applied when it arrives
      return;
    }
    const row = list.querySelector(`tr[data-job="${ev.job_id}"]`);
    const matches = (!filters.status || filters.status === ev.status) && (!filters.agent || filters.agent === ev.agent);
    if (row) {
      if (filters.status && !matches) {
        row.classList.add("left-filter");
      }
      row.querySelector(".job-status").replaceChildren(status(ev.status));
      row.classList.add("changed");
      return;
    }
    if (cursors.length === 1 && matches && (ev.type === "enqueued" || filters.status)) {
      fetching.set(ev.job_id, null);
      call(`jobs/${ev.job_id}`, { signal }).then((job) => {
        const later = fetching.get(job.id);
        fetching.delete(job.id);
        if (later) job.status = later; // an event that came while it was read; any newer one follows
        if (list.querySelector(`tr[data-job="${job.id}"]`)) return;
        rows = [job, ...rows].sort((a, b) => b.id - a.id).slice(0, 50);
        fill(list, jobTable(rows));
        list.querySelector(`tr[data-job="${job.id}"]`)?.classList.add("changed");
      }).catch(() => fetching.delete(ev.job_id)); // pruned or out of scope meanwhile: nothing to show
    }
  }

  load(cursors[0]);
  const q = new URLSearchParams();
  if (filters.repo) q.set("repo", filters.repo);
  if (filters.agent) q.set("agent", filters.agent);
  follow(`events${q.toString() ? `?${q}` : ""}`, {
    signal, onEvent,
    onOpen: () => { live.textContent = "Live: new jobs and status changes appear as they happen."; live.dataset.live = "on"; },
    onGone: () => load(cursors[cursors.length - 1]),
    onError: (err) => { live.textContent = `No live updates: ${errorText(err)}`; },
  });
}

// ------------------------------------------------------------------ job detail

function jobView(signal, id) {
  const head = h("div", { id: "job-head" });
  const actions = h("div", { id: "job-actions", class: "actions" });
  const result = h("div", { class: "action-result", "aria-live": "polite" });
  const facts = h("section", { class: "card", id: "job-facts" });
  const waiting = h("section", { class: "card", id: "waiting" });
  const runs = h("section", { class: "card", id: "runs" });
  const logBox = h("section", { class: "card", id: "log" });
  fill(main, h("p", {}, h("a", { href: "#/jobs" }, "← Jobs")), head, actions, result, facts, waiting, runs, logBox);
  let following = null; // the run whose log is followed
  let followAbort = null;

  async function load() {
    let job;
    try {
      job = await call(`jobs/${id}`, { signal });
    } catch (e) {
      if (e.name === "AbortError") return;
      fill(head, h("h1", {}, `Job ${id}`), notice(e instanceof ApiError && e.status === 404
        ? `No job ${id} (or not in your repos; finished jobs are pruned after the retention period).` : errorText(e)));
      return;
    }
    fill(head, h("h1", {}, `Job ${job.id} `, status(job.status)));
    const canOperate = may("operate") && mayTouch(job.repo);
    fill(actions, 
      canOperate && (job.status === "queued" || job.status === "running")
        ? h("button", { type: "button", class: "danger", "data-action": "cancel",
          onclick: () => act(`Cancel job ${job.id}${job.status === "running" ? " and stop its agent" : ""}?`, "Cancel job", `jobs/${job.id}/cancel`, result, load) }, "Cancel job")
        : null,
      canOperate && (job.status === "failed" || job.status === "cancelled")
        ? h("button", { type: "button", "data-action": "retry",
          onclick: () => act(`Retry job ${job.id} with a fresh set of attempts?`, "Retry job", `jobs/${job.id}/retry`, result, load) }, "Retry job")
        : null);
    fill(facts, h("h2", {}, "Job"), h("dl", { class: "facts" },
      h("dt", {}, "Agent"), h("dd", {}, job.agent),
      h("dt", {}, "Repo"), h("dd", {}, h("a", { href: `#/jobs?repo=${encodeURIComponent(job.repo)}` }, job.repo)),
      h("dt", {}, "Attempts"), h("dd", {}, `${job.attempts} of ${job.max_attempts}` + (job.transient_attempts ? ` (+${job.transient_attempts} transient)` : "")),
      h("dt", {}, "Priority"), h("dd", {}, String(job.priority)),
      h("dt", {}, "Created"), h("dd", {}, time(job.created_at), job.submitted_by ? ` by ${job.submitted_by}` : ""),
      h("dt", {}, "Available at"), h("dd", {}, time(job.available_at)),
      h("dt", {}, "Finished"), h("dd", {}, time(job.finished_at)),
      job.error ? [h("dt", {}, "Error"), h("dd", { class: "error-text" }, job.error)] : null,
      h("dt", {}, "Depends on"), h("dd", { id: "depends-on" }, job.depends_on && job.depends_on.length
        ? job.depends_on.flatMap((d, i) => (i ? [", ", jobLink(d)] : [jobLink(d)])) : "nothing"),
      h("dt", {}, "Payload"), h("dd", {}, h("pre", { class: "payload" }, JSON.stringify(job.payload, null, 2)))));
    waiting.hidden = job.status !== "queued";
    if (job.status === "queued") {
      fill(waiting, h("h2", {}, "Why it is waiting"), h("ul", { id: "waiting-for" },
        ...(job.waiting_for || []).map((w) => h("li", { "data-gate": w.gate }, explain(w)))));
    }
    fill(runs, h("h2", {}, `Runs (${job.runs.length})`), job.runs.length === 0 ? h("p", { class: "empty" }, "Not run yet.") :
      h("div", { class: "table-wrap" }, h("table", {},
        h("thead", {}, h("tr", {}, ...["Run", "Attempt", "Node", "Started", "Duration", "Exit", "Outcome", "Error", "Log"].map((t) => h("th", {}, t)))),
        h("tbody", {}, ...job.runs.map((r) => h("tr", { "data-run": r.id },
          h("td", {}, String(r.id)), h("td", {}, String(r.attempt)), h("td", { class: "node" }, r.node),
          h("td", {}, time(r.started_at)), h("td", {}, duration(r.started_at, r.finished_at)),
          h("td", {}, r.exit_code === null ? "—" : String(r.exit_code)),
          h("td", {}, r.outcome || "running"), h("td", { class: "error-text" }, r.error || ""),
          h("td", {}, h("button", { type: "button", class: "link", onclick: () => showLog(r, r.finished_at === null) }, r.finished_at === null ? "Follow" : "Show"))))))));
    logBox.hidden = job.runs.length === 0;
    const current = job.runs.length ? job.runs[job.runs.length - 1] : null;
    if (current && current.finished_at === null && following !== current.id) {
      showLog(current, true);
    } else if (!following && current) {
      showLog(current, false);
    }
  }

  function showLog(run, live) {
    if (followAbort) followAbort.abort();
    following = run.id;
    const pre = h("pre", { id: "log-text", class: "log", "data-run": run.id, tabindex: "0" });
    const state = h("p", { id: "log-state", class: "help" }, live ? "Following the log live…" : "Loading…");
    fill(logBox, h("h2", {}, `Log of run ${run.id}`), state, pre);
    const controller = new AbortController();
    followAbort = controller;
    signal.addEventListener("abort", () => controller.abort(), { once: true });
    if (!live) {
      call(`runs/${run.id}/log?tail=2000`, { signal: controller.signal })
        .then((text) => { pre.textContent = text; state.textContent = "The last 2,000 lines."; })
        .catch((e) => { if (e.name !== "AbortError") fill(state, notice(errorText(e))); });
      return;
    }
    follow(`runs/${run.id}/log/stream`, {
      signal: controller.signal,
      onEvent: (e) => {
        if (e.event === "log") {
          const atBottom = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 4;
          pre.append(e.data);
          if (atBottom) pre.scrollTop = pre.scrollHeight;
        } else if (e.event === "end") {
          const end = JSON.parse(e.data);
          fill(state, "Ended: ", h("strong", { id: "log-outcome" }, end.outcome || "unknown"),
            end.exit_code === null ? "" : ` (exit code ${end.exit_code})`, end.error ? ` — ${end.error}` : "");
          controller.abort();
          load();
        }
      },
      onError: (err) => fill(state, notice(errorText(err))),
    });
  }

  load();
  const refresh = debounce(load, 300);
  follow(`events?job=${id}`, { signal, onEvent: refresh, onGone: refresh });
}

/** A waiting_for entry in words. */
function explain(w) {
  switch (w.gate) {
    case "nothing": return "Nothing holds it: it is claimed at the next pass.";
    case "capacity": return `Every slot is taken (${w.running} of ${w.max} running).`;
    case "repo_busy": return ["Its repo is busy: ", w.job ? jobLink(w.job) : "another job", " runs in it (one running job per repo)."];
    case "dependency": return ["It waits for ", ...(w.jobs || []).flatMap((j, i) => (i ? [", ", jobLink(j)] : [jobLink(j)])), " to be done."];
    case "backoff": return `It backs off after a failure until ${w.until ? new Date(w.until).toLocaleString() : "later"}.`;
    case "paused": return `Claiming is paused (${(w.scopes || (w.scope ? [w.scope] : [])).map((p) => (p === "*" ? "everything" : p)).join(", ")}).`;
    case "agent_limit": return `Its agent ${w.agent || ""} is at its limit (${w.running} of ${w.limit} running).`;
    case "cancel_requested": return "A cancel was requested: it will be cancelled.";
    default: return `${w.gate.replace(/_/g, " ")}: ${JSON.stringify(w)}`;
  }
}

// ------------------------------------------------------------------ nodes and audit

function nodesView(signal) {
  const box = h("div", { id: "nodes" });
  fill(main, h("h1", {}, "Nodes"), box);
  async function load() {
    try {
      const { nodes } = await call("nodes", { signal });
      fill(box, h("div", { class: "table-wrap" }, h("table", {},
        h("thead", {}, h("tr", {}, ...["Node", "Host", "State", "Heartbeat age", "Lease expires", "Running jobs", "Started"].map((t) => h("th", {}, t)))),
        h("tbody", {}, ...nodes.map((n) => h("tr", { "data-node": n.id },
          h("td", { class: "node" }, n.id), h("td", {}, n.host),
          h("td", {}, n.stopped_at ? "■ stopped" : new Date(n.lease_expires_at) < new Date() ? "▲ lease expired" : "● live"),
          h("td", {}, n.stopped_at ? "—" : `${n.heartbeat_age_seconds} s`), h("td", {}, time(n.lease_expires_at)),
          h("td", { class: "running" }, String(n.running)), h("td", {}, time(n.started_at))))))));
    } catch (e) {
      if (e.name !== "AbortError") fill(box, notice(errorText(e)));
    }
  }
  load();
  const timer = setInterval(load, 5000);
  signal.addEventListener("abort", () => clearInterval(timer));
}

function auditView(signal) {
  const box = h("div", { id: "audit" });
  fill(main, h("h1", {}, "Audit trail"), box);
  if (!may("admin")) {
    fill(box, notice("The audit trail needs a token with the role admin."));
    return;
  }
  async function load(before) {
    try {
      const page = await call(`audit?limit=100${before ? `&cursor=${before}` : ""}`, { signal });
      fill(box, h("div", { class: "table-wrap" }, h("table", {},
        h("thead", {}, h("tr", {}, ...["When", "Who", "Action", "Target", "Result", "Detail", "From"].map((t) => h("th", {}, t)))),
        h("tbody", {}, ...page.events.map((e) => h("tr", {},
          h("td", {}, time(e.at)), h("td", {}, e.actor || "—"), h("td", {}, e.action),
          h("td", {}, /^job:\d+$/.test(e.target) ? jobLink(e.target.slice(4)) : e.target), h("td", {}, e.result),
          h("td", {}, e.detail || ""), h("td", {}, e.client_address || "")))))),
      page.next_cursor ? h("button", { type: "button", onclick: () => load(page.next_cursor) }, "Older →") : null);
    } catch (e) {
      if (e.name !== "AbortError") fill(box, notice(errorText(e)));
    }
  }
  load(null);
}

// ------------------------------------------------------------------ router

async function route() {
  if (leave) leave.abort();
  leave = new AbortController();
  const signal = leave.signal;
  if (!token()) {
    signInView();
    return;
  }
  if (!me) {
    try {
      me = await call("tokens/me");
    } catch (e) {
      signOut();
      signInView(e instanceof ApiError && e.status === 401 ? "Your token is no longer valid; sign in again." : errorText(e));
      return;
    }
  }
  showWho();
  const hash = location.hash.replace(/^#/, "") || "/";
  const [path, query] = hash.split("?");
  const params = new URLSearchParams(query || "");
  for (const a of nav.querySelectorAll("a")) {
    a.toggleAttribute("aria-current", a.getAttribute("href") === `#${path}` || (path.startsWith("/jobs") && a.getAttribute("href") === "#/jobs"));
  }
  const job = path.match(/^\/jobs\/(\d{1,18})$/);
  if (path === "/") overviewView(signal);
  else if (path === "/jobs") jobsView(signal, params);
  else if (job) jobView(signal, job[1]);
  else if (path === "/nodes") nodesView(signal);
  else if (path === "/audit") auditView(signal);
  else fill(main, h("h1", {}, "Not found"), h("p", {}, "No such page. ", h("a", { href: "#/" }, "Back to the queue")));
  main.focus({ preventScroll: true });
}

window.addEventListener("hashchange", route);
window.addEventListener("orchestrator:unauthorized", () => {
  if (me === null) return; // signing in: the sign-in form reports it
  if (leave) leave.abort();
  signOut();
  me = null;
  signInView("The server no longer accepts this token; sign in again.");
});
window.addEventListener("unhandledrejection", (ev) => {
  ev.preventDefault(); // never a raw stack trace on the page; the views report their own errors
});
route();
