// The server, and nothing else: REST calls that throw ApiError, and one WebSocket that
// reconnects by itself. See docs/api.md for every shape used here.

export class ApiError extends Error {
  // status: HTTP status (0 when the server is unreachable); field: "optimizers.0.params.lr"
  constructor(message, { status = 0, field = null, code = null } = {}) {
    super(message);
    this.status = status;
    this.field = field;
    this.code = code;
  }
}

// FastAPI's 422 body -> one message and the field it names ("body.optimizers.0" -> "optimizers.0").
function errorFromBody(status, body) {
  const detail = body && body.detail;
  if (Array.isArray(detail) && detail.length) {
    const d = detail[0];
    const loc = (d.loc || []).filter((p, i) => !(i === 0 && (p === "body" || p === "query")));
    return new ApiError(d.msg || "invalid value", { status, field: loc.join(".") || null });
  }
  const msg = typeof detail === "string" ? detail : `server answered ${status}`;
  return new ApiError(msg, { status });
}

async function request(path, options = {}) {
  let resp;
  try {
    resp = await fetch(path, options);
  } catch (err) {
    if (err.name === "AbortError") throw err;
    throw new ApiError("The server is unreachable.", { status: 0 });
  }
  if (!resp.ok) {
    let body = null;
    try { body = await resp.json(); } catch { /* not JSON */ }
    throw errorFromBody(resp.status, body);
  }
  return resp;
}

export async function getJSON(path, params = null, signal = undefined) {
  const query = params ? "?" + new URLSearchParams(params).toString() : "";
  return (await request(path + query, { signal })).json();
}

export async function deleteRaw(path) {
  return request(path, { method: "DELETE" });
}

export async function postRaw(path, body) {
  return request(path, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
}

// One socket for all streamed runs. onMessage(msg) gets every server message;
// onStatus("connecting" | "open" | "closed") reports the connection. The socket reconnects
// with backoff; messages sent while closed are dropped, and on reopen onStatus("open") lets the
// caller send its current run again.
export class RunSocket {
  constructor({ onMessage, onStatus }) {
    this.onMessage = onMessage;
    this.onStatus = onStatus;
    this.delay = 250;
    this.ws = null;
    this.connect();
  }

  url() {
    const proto = location.protocol === "https:" ? "wss:" : "ws:";
    return `${proto}//${location.host}/ws/runs`;
  }

  connect() {
    this.onStatus("connecting");
    const ws = new WebSocket(this.url());
    this.ws = ws;
    ws.onopen = () => {
      this.delay = 250;
      this.onStatus("open");
    };
    ws.onmessage = (ev) => {
      let msg;
      try { msg = JSON.parse(ev.data); } catch { return; }
      this.onMessage(msg);
    };
    ws.onclose = () => {
      if (this.ws !== ws) return;
      this.onStatus("closed");
      setTimeout(() => this.connect(), this.delay);
      this.delay = Math.min(this.delay * 2, 4000);
    };
  }

  get open() {
    return this.ws && this.ws.readyState === WebSocket.OPEN;
  }

  send(msg) {
    if (!this.open) return false;
    this.ws.send(JSON.stringify(msg));
    return true;
  }
}
