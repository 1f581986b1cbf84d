// brigade browser tests: what a client sends to /api, as a list of requests, and its analysis.
// Shared by the page's batching test and the load tester's fidelity test.

/**
 * Starts recording `page`'s requests to the audio API: HTTP requests to /api exactly, and the
 * request messages of its WebSocket (/api/ws), recorded as the HTTP request they stand for
 * (an empty query is the clock GET). `log.http` and `log.ws` count each kind; `log.wsUrls` holds
 * the sockets' URLs and `log.pushes` the text messages (pushes) the server sent on them.
 */
export function recordApi(page) {
  const log = [];
  log.http = 0;
  log.ws = 0;
  log.wsUrls = [];
  log.pushes = [];
  page.on('request', (req) => {
    const url = new URL(req.url());
    if (url.pathname !== '/api') return;
    const body = req.postDataBuffer();
    log.http++;
    log.push({ t: Date.now() / 1000, method: req.method(), target: url.pathname + url.search, body: body ? new Uint8Array(body) : new Uint8Array(0) });
  });
  page.on('websocket', (ws) => {
    if (new URL(ws.url()).pathname !== '/api/ws') return;
    log.wsUrls.push(ws.url());
    ws.on('framereceived', ({ payload }) => {
      if (typeof payload === 'string') log.pushes.push(payload);
    });
    ws.on('framesent', ({ payload }) => {
      const m = typeof payload === 'string' ? new TextEncoder().encode(payload) : new Uint8Array(payload);
      if (m.length < 4) return;
      const qLen = new DataView(m.buffer, m.byteOffset, m.byteLength).getUint32(0);
      const query = new TextDecoder().decode(m.subarray(4, 4 + qLen));
      log.ws++;
      log.push({ t: Date.now() / 1000, method: query ? 'POST' : 'GET', target: query ? `/api?${query}` : '/api', body: m.slice(4 + qLen) });
    });
  });
  return log;
}

const traceLines = (text, singer) =>
  text
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l))
    .filter((r) => r.singer === singer);

/** Parses --trace lines of brigade-loadtest into the same shape (bodies as sizes only). */
export function parseTrace(text, singer = 0) {
  return traceLines(text, singer)
    .filter((r) => r.method)
    .map((r) => ({ t: r.t, method: r.method, target: r.target, bodyBytes: r.body_bytes }));
}

/** The pushes a load-tester singer received (--transport ws): their wire sizes. */
export function tracePushes(text, singer = 0) {
  return traceLines(text, singer)
    .filter((r) => Number.isInteger(r.push_bytes))
    .map((r) => r.push_bytes);
}

/**
 * Splits a request log into connections: a clock GET, then exchanges. Each exchange is
 * {t, params: Map, keys: string[], nSamples, readClock, writeClock|null, bodyBytes, packets|null}.
 */
export function connectionsOf(log) {
  const conns = [];
  let cur = null;
  for (const r of log) {
    if (r.method === 'GET') {
      cur = { getAt: r.t, exchanges: [] };
      conns.push(cur);
      continue;
    }
    const q = new URLSearchParams(r.target.split('?')[1] || '');
    const ex = {
      t: r.t,
      params: q,
      keys: [...q.keys()],
      nSamples: Number(q.get('n_samples')),
      readClock: Number(q.get('read_clock')),
      writeClock: q.has('write_clock') ? Number(q.get('write_clock')) : null,
      bodyBytes: r.body ? r.body.length : r.bodyBytes,
      packets: r.body && r.body.length ? r.body[0] : null,
    };
    if (!cur || q.has('reset_user_state')) {
      // A connection's first exchange; a retry without a GET stays in the same connection.
      if (!cur || cur.exchanges.length) {
        cur = { getAt: null, exchanges: [] };
        conns.push(cur);
      }
    }
    cur.exchanges.push(ex);
  }
  return conns.filter((c) => c.exchanges.length);
}

/** Problems with a connection's clocks: reads and writes must advance by n with no gap or overlap. */
export function clockProblems(conn) {
  const out = [];
  const ex = conn.exchanges;
  let writing = false;
  for (let i = 0; i < ex.length; i++) {
    const e = ex[i];
    if (e.writeClock !== null) writing = true;
    else if (writing) out.push(`exchange ${i} stopped writing`);
    if (i === 0) continue;
    const p = ex[i - 1];
    if (e.readClock - p.readClock !== e.nSamples) out.push(`exchange ${i}: read clock moved ${e.readClock - p.readClock}, n_samples ${e.nSamples}`);
    if (e.writeClock !== null && p.writeClock !== null && e.writeClock - p.writeClock !== e.nSamples) {
      out.push(`exchange ${i}: write clock moved ${e.writeClock - p.writeClock}, n_samples ${e.nSamples}`);
    }
  }
  return out;
}

/** Exchanges per second over a connection (first to last exchange). */
export function exchangeRate(conn) {
  const ex = conn.exchanges;
  if (ex.length < 2) return 0;
  return (ex.length - 1) / (ex[ex.length - 1].t - ex[0].t);
}

/** Sorted parameter names over a list of exchanges. */
export function keySet(exchanges) {
  return [...new Set(exchanges.flatMap((e) => e.keys))].sort();
}

export const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
