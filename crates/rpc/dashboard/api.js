// The node's public API, as the dashboard uses it (docs/dashboard.md lists every endpoint).
// Requests go to the node that served the page (same origin), so the page works when served
// by any node of a network.

/** An error answer of the API (Antelope's shape), or a failed request. */
export class ApiError extends Error {
  constructor(message, { status = 0, name = '', code = 0 } = {}) {
    super(message);
    this.status = status;
    this.errorName = name;
    this.code = code;
  }
}

const TIMEOUT_MS = 10000;

async function request(path, init = {}) {
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(), TIMEOUT_MS);
  let res;
  try {
    res = await fetch(path, { ...init, signal: ctl.signal, cache: 'no-store' });
  } catch (e) {
    throw new ApiError(e.name === 'AbortError' ? 'the node did not answer in time' : 'the node is unreachable');
  } finally {
    clearTimeout(timer);
  }
  let body = null;
  try {
    body = await res.json();
  } catch {
    throw new ApiError(`unexpected answer (HTTP ${res.status})`, { status: res.status });
  }
  if (!res.ok) {
    const e = body?.error ?? {};
    const detail = e.details?.[0]?.message || e.what || body?.message || `HTTP ${res.status}`;
    throw new ApiError(detail, { status: res.status, name: e.name, code: e.code });
  }
  return body;
}

/** GET a Civitas view (`/v1/civitas/...`). */
export function view(name) {
  return request(`/v1/civitas/${name}`);
}

/** POST to an Antelope endpoint (`/v1/chain/...`) with a JSON body, as eosjs does. */
export function chain(endpoint, body = {}) {
  return request(`/v1/chain/${endpoint}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

/**
 * The live stream (`/v1/civitas/stream`, Server-Sent Events). `handlers` gets `head`, `lib`,
 * `lagged` events and `status(state)` with `live`, `connecting` or `down`. EventSource
 * reconnects by itself; the status tells the page whether to lean on polling meanwhile.
 */
export function stream(handlers) {
  let es;
  let retry = null;
  const open = () => {
    handlers.status?.('connecting');
    es = new EventSource('/v1/civitas/stream');
    es.onopen = () => handlers.status?.('live');
    es.onerror = () => {
      // A closed stream is not reopened by the browser; a connecting one retries by itself.
      if (es.readyState === EventSource.CLOSED) {
        handlers.status?.('down');
        if (!retry) retry = setTimeout(() => { retry = null; open(); }, 3000);
      } else {
        handlers.status?.('connecting');
      }
    };
    for (const kind of ['head', 'lib', 'lagged']) {
      es.addEventListener(kind, (ev) => {
        let data = null;
        try { data = JSON.parse(ev.data); } catch { return; }
        handlers[kind]?.(data);
      });
    }
  };
  open();
  return () => es?.close();
}
