// brigade page: the exchange over a WebSocket (GET /api/ws), with the same interface as the HTTP
// exchange function: fetch(url, {method, body}, timeoutMs) resolves to a Response-like object
// (status, ok, headers.get, text(), arrayBuffer()). Framing (README, "The exchange over a
// WebSocket"): a request is u32 big-endian query length | query | body; a reply is u16 status |
// u32 metadata length | X-Audio-Metadata JSON | body, in request order.
//
// Used by default. Falls back to HTTP for the rest of the session when the upgrade fails while
// HTTP works (a proxy that does not pass WebSockets), or when the socket drops
// MAX_DROPS times without MIN_OK_BETWEEN_DROPS good replies in between.

/** Time allowed for the upgrade. */
const OPEN_TIMEOUT_MS = 5000;
/** Consecutive drops of an open socket before the page settles on HTTP. */
export const MAX_DROPS = 3;
/** Good replies that make a later drop count as a first one again. */
const MIN_OK_BETWEEN_DROPS = 20;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The request message: u32 BE query length, query bytes, body bytes. */
export function encodeRequest(query, body) {
  const q = encoder.encode(query);
  // The body is a Uint8Array (exchangeBody) or nothing (the clock).
  const b = body instanceof Uint8Array ? body : new Uint8Array(0);
  const out = new Uint8Array(4 + q.length + b.length);
  new DataView(out.buffer).setUint32(0, q.length);
  out.set(q, 4);
  out.set(b, 4 + q.length);
  return out;
}

/** A reply message as a Response-like object; throws on a malformed message. */
export function decodeReply(buffer) {
  const bytes = new Uint8Array(buffer);
  if (bytes.length < 6) throw new Error('short WebSocket reply');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const status = view.getUint16(0);
  const metaLen = view.getUint32(2);
  if (metaLen > bytes.length - 6) throw new Error('WebSocket reply metadata beyond the message');
  const meta = decoder.decode(bytes.subarray(6, 6 + metaLen));
  const body = bytes.slice(6 + metaLen);
  return {
    status,
    ok: status >= 200 && status < 300,
    headers: { get: (name) => (name.toLowerCase() === 'x-audio-metadata' ? meta : null) },
    text: async () => decoder.decode(body),
    arrayBuffer: async () => body.buffer,
  };
}

export class ExchangeTransport {
  /**
   * `apiUrl`: the API's absolute URL (http(s)://host/api). `httpFetch`: the HTTP exchange
   * function. `networkError(message)`: the error a lost connection throws. `mode`: 'ws' (the
   * default: WebSocket, falling back to HTTP) or 'http'.
   */
  constructor(apiUrl, { httpFetch, networkError, mode = 'ws' }) {
    this.httpFetch = httpFetch;
    this.networkError = networkError;
    this.wsUrl = apiUrl.replace(/^http/, 'ws') + '/ws';
    this.kind = mode === 'http' || typeof WebSocket === 'undefined' ? 'http' : 'ws';
    this.why = this.kind === 'http' ? (mode === 'http' ? 'chosen' : 'no WebSocket in this browser') : '';
    this.socket = null;
    this.opening = null;
    this.pending = [];
    this.drops = 0;
    this.okSinceDrop = 0;
  }

  /** Same as the HTTP exchange function: `url` is the API URL with the exchange's query. */
  async fetch(url, options, ms) {
    if (this.kind === 'http') return this.httpFetch(url, options, ms);
    let socket;
    try {
      socket = await this.open();
    } catch {
      // The upgrade failed. If HTTP reaches the server, WebSockets are what is blocked.
      const res = await this.httpFetch(url, options, ms);
      this.useHttp('the WebSocket upgrade failed');
      return res;
    }
    const query = url.includes('?') ? url.slice(url.indexOf('?') + 1) : '';
    return new Promise((resolve, reject) => {
      const entry = { resolve, reject, timer: null };
      entry.timer = setTimeout(() => this.drop('no answer in time'), ms);
      this.pending.push(entry);
      socket.send(encodeRequest(query, options.body));
    });
  }

  /** Falls back to HTTP for the rest of this session. */
  useHttp(why) {
    this.kind = 'http';
    this.why = why;
    this.close();
  }

  close() {
    const s = this.socket;
    this.socket = null;
    this.opening = null;
    if (s) s.close();
    this.failPending('Cannot reach the server (the WebSocket closed).');
  }

  open() {
    if (this.socket && this.socket.readyState === WebSocket.OPEN) return Promise.resolve(this.socket);
    if (this.opening) return this.opening;
    this.opening = new Promise((resolve, reject) => {
      const s = new WebSocket(this.wsUrl);
      s.binaryType = 'arraybuffer';
      const timer = setTimeout(() => s.close(), OPEN_TIMEOUT_MS);
      s.onopen = () => {
        clearTimeout(timer);
        this.socket = s;
        this.opening = null;
        resolve(s);
      };
      s.onclose = () => {
        clearTimeout(timer);
        if (this.socket !== s) {
          this.opening = null; // never opened: the upgrade failed (or took too long)
          reject(new Error('upgrade failed'));
          return;
        }
        this.socket = null;
        this.onDrop('the WebSocket closed');
      };
      s.onmessage = (e) => this.onMessage(e.data);
    });
    return this.opening;
  }

  onMessage(data) {
    if (typeof data === 'string') return; // text messages are reserved for pushes (none yet)
    const entry = this.pending.shift();
    if (!entry) return;
    clearTimeout(entry.timer);
    try {
      entry.resolve(decodeReply(data));
      if (++this.okSinceDrop >= MIN_OK_BETWEEN_DROPS) this.drops = 0;
    } catch (err) {
      entry.reject(this.networkError(`Unreadable reply from the server (${err.message}).`));
    }
  }

  /** A request timed out: the socket is closed and counted as a drop. */
  drop(why) {
    const s = this.socket;
    this.socket = null;
    if (s) s.close();
    this.onDrop(why);
  }

  onDrop(why) {
    this.failPending(`Cannot reach the server (${why}).`);
    this.okSinceDrop = 0;
    if (++this.drops >= MAX_DROPS) this.useHttp(`the WebSocket dropped ${this.drops} times`);
  }

  failPending(message) {
    const pending = this.pending;
    this.pending = [];
    for (const p of pending) {
      clearTimeout(p.timer);
      p.reject(this.networkError(message));
    }
  }
}
