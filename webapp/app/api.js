// The dashboard's only way to the server: JSON calls and Server-Sent Event streams over fetch, with
// the bearer token from sessionStorage in the Authorization header (never in a URL; EventSource cannot
// send headers, so the streams are read with fetch and parsed here).

const TOKEN_KEY = "orchestrator.token";

export function token() {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function setToken(value) {
  sessionStorage.setItem(TOKEN_KEY, value);
}

export function signOut() {
  sessionStorage.removeItem(TOKEN_KEY);
}

/** An answer other than 2xx, with the problem document's detail when the server sent one. */
export class ApiError extends Error {
  constructor(status, detail, field) {
    super(detail || `the server answered ${status}`);
    this.status = status;
    this.field = field || null;
  }
}

function headers(extra = {}) {
  const h = { Accept: "application/json, text/plain;q=0.9", ...extra };
  const t = token();
  if (t) {
    h.Authorization = `Bearer ${t}`;
  }
  return h;
}

async function failure(response) {
  let detail = null;
  let field = null;
  try {
    const type = response.headers.get("Content-Type") || "";
    if (type.includes("json")) {
      const problem = await response.json();
      detail = typeof problem.detail === "string" ? problem.detail : null;
      field = typeof problem.field === "string" ? problem.field : null;
    }
  } catch (ignored) {
    // not a problem document: the status says enough
  }
  return new ApiError(response.status, detail || `${response.status} ${response.statusText || ""}`.trim(), field);
}

/** GET (or another method) of api/PATH; the parsed JSON, or throws ApiError. */
export async function call(path, { method = "GET", body, signal } = {}) {
  let response;
  try {
    response = await fetch(`api/${path}`, {
      method,
      signal,
      headers: headers(body === undefined ? {} : { "Content-Type": "application/json" }),
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (e) {
    if (e.name === "AbortError") {
      throw e;
    }
    throw new ApiError(0, "the server cannot be reached");
  }
  if (!response.ok) {
    if (response.status === 401 && token()) {
      // the token was revoked or rotated meanwhile: the page asks for a new one
      window.dispatchEvent(new CustomEvent("orchestrator:unauthorized"));
    }
    throw await failure(response);
  }
  const type = response.headers.get("Content-Type") || "";
  return type.includes("json") ? response.json() : response.text();
}

/** A probe outside /api (open, no token): its JSON whatever the status (503 means DOWN, not failure). */
export async function probe(path) {
  const response = await fetch(path, { headers: { Accept: "application/json" } });
  return response.json();
}

/**
 * Follows a Server-Sent Event stream at api/PATH until signal aborts: onEvent({event, id, data}) for each
 * event. Reconnects after a dropped connection with the last id (a keep-alive event moves it too), so
 * nothing is missed; onGone() when the server answers 410 (resume point pruned); onError(ApiError) for
 * other refusals, after which it stops. onOpen() each time a connection is established.
 */
export function follow(path, { onEvent, onOpen, onGone, onError, signal, lastEventId = null }) {
  let last = lastEventId;
  (async () => {
    let delay = 500;
    while (!signal.aborted) {
      try {
        const h = headers({ Accept: "text/event-stream" });
        if (last) {
          h["Last-Event-ID"] = last;
        }
        const response = await fetch(`api/${path}`, { headers: h, signal, cache: "no-store" });
        if (response.status === 410) {
          last = null;
          if (onGone) onGone();
          continue;
        }
        if (!response.ok) {
          const error = await failure(response);
          if (response.status === 503 || response.status >= 500) {
            throw error; // the server is busy or restarting: try again
          }
          if (onError) onError(error);
          return;
        }
        delay = 500;
        if (onOpen) onOpen();
        for await (const e of events(response.body, signal)) {
          if (e.id !== null) {
            last = e.id;
          }
          if (e.data !== null && e.event !== "keep-alive") {
            onEvent(e);
          }
        }
      } catch (e) {
        if (signal.aborted) {
          return;
        }
      }
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay = Math.min(delay * 2, 10000);
    }
  })();
}

/** Parses text/event-stream into {event, id, data}; data null for an id-only (keep-alive) block. */
async function* events(body, signal) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  signal.addEventListener("abort", () => reader.cancel().catch(() => {}), { once: true });
  let buffer = "";
  let event = "message";
  let id = null;
  let data = [];
  for (;;) {
    const { value, done } = await reader.read();
    if (done) {
      return;
    }
    buffer += value;
    let end;
    while ((end = buffer.search(/\r\n|\r|\n/)) >= 0) {
      const line = buffer.slice(0, end);
      buffer = buffer.slice(end + (buffer.startsWith("\r\n", end) ? 2 : 1));
      if (line === "") {
        if (data.length > 0 || id !== null) {
          yield { event, id, data: data.length > 0 ? data.join("\n") : null };
        }
        event = "message";
        id = null;
        data = [];
        continue;
      }
      if (line.startsWith(":")) {
        continue;
      }
      const colon = line.indexOf(":");
      const field = colon < 0 ? line : line.slice(0, colon);
      let value = colon < 0 ? "" : line.slice(colon + 1);
      if (value.startsWith(" ")) {
        value = value.slice(1);
      }
      if (field === "event") event = value;
      else if (field === "id") id = value;
      else if (field === "data") data.push(value);
    }
  }
}
