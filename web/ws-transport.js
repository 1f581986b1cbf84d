// brigade singer page: the WebSocket transport. It offers the methods of HttpTransport
// (transport.js) with the same results, and carries the clock and the audio exchange over one
// WebSocket to …/api/ws; the rest (status, tracks, recordings, uploads) goes over HTTP.
// Framing (README, "The exchange over a WebSocket"): a request is u32 big-endian query length |
// query | body; a reply is u16 status | u32 metadata length | X-Audio-Metadata JSON | body, in
// request order. The socket opens with ?push=1: text messages are the server's pushes (the
// user summary when it changes, chat lines), JSON handed to `onPush`; while `pushes` is true
// the session leaves user_summary out of its exchanges.
//
// Used by default. It settles on HTTP for the rest of the page's life when the upgrade fails
// while HTTP reaches the server (a proxy that does not pass WebSockets), or when the socket
// drops MAX_DROPS times without MIN_OK_BETWEEN_DROPS good replies in between. `kind` says which
// one carries the exchanges ('ws' or 'http'), `why` why HTTP.

import { errorMessageOf } from './protocol.js';
import { HttpTransport, TransportError } from './transport.js';

/** Time allowed for the upgrade, one clock request and one exchange. */
const OPEN_TIMEOUT_MS = 5000;
const CLOCK_TIMEOUT_MS = 5000;
const EXCHANGE_TIMEOUT_MS = 8000;
/** Drops of an open socket before the page settles on HTTP. */
export const MAX_DROPS = 3;
/** Good replies that make a later drop count as a first one again. */
const MIN_OK_BETWEEN_DROPS = 20;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The request message: u32 BE query length, query bytes, body bytes (a Uint8Array or none). */
export function encodeRequest(query, body) {
  const q = encoder.encode(query);
  const b = body instanceof Uint8Array ? body : new Uint8Array(0);
  const out = new Uint8Array(4 + q.length + b.length);
  new DataView(out.buffer).setUint32(0, q.length);
  out.set(q, 4);
  out.set(b, 4 + q.length);
  return out;
}

/** A reply message → {status, metadataHeader, bytes}; throws on a malformed message. */
export function decodeReply(buffer) {
  const bytes = new Uint8Array(buffer);
  if (bytes.length < 6) throw new Error('short WebSocket reply');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const metaLen = view.getUint32(2);
  if (metaLen > bytes.length - 6) throw new Error('WebSocket reply metadata beyond the message');
  return { status: view.getUint16(0), metadataHeader: decoder.decode(bytes.subarray(6, 6 + metaLen)), bytes: bytes.subarray(6 + metaLen) };
}

export class WsTransport {
  /** `apiUrl`: the API's absolute URL (http(s)://host/api); `mode`: 'ws' (default) or 'http'. */
  constructor(apiUrl, { mode = 'ws' } = {}) {
    this.http = new HttpTransport(apiUrl);
    this.wsUrl = `${apiUrl.replace(/^http/, 'ws').replace(/\/$/, '')}/ws?push=1`;
    /** Called with each push ({push: 'summary' | 'chats', …}); set by the session. */
    this.onPush = null;
    const available = typeof WebSocket !== 'undefined';
    this.kind = mode === 'http' || !available ? 'http' : 'ws';
    this.why = mode === 'http' ? 'chosen in the address' : available ? '' : 'no WebSocket in this browser';
    this.socket = null;
    this.opening = null;
    this.pending = [];
    this.drops = 0;
    this.okSinceDrop = 0;
  }

  /** The exchanges go over the WebSocket, whose pushes bring the summary and chat lines. */
  get pushes() {
    return this.kind === 'ws';
  }

  /** The server clock, corrected by half the round trip (as HttpTransport.clock). */
  async clock() {
    if (this.kind === 'http') return this.http.clock();
    const t0 = performance.now();
    const r = await this.request('', null, CLOCK_TIMEOUT_MS, () => this.http.clock());
    if (r.fellBack) return r.value;
    const rttMs = performance.now() - t0;
    if (r.status !== 200) throw new TransportError('http', { status: r.status, message: errorMessageOf(r.status, r.metadataHeader, decoder.decode(r.bytes)) });
    let meta;
    try {
      meta = JSON.parse(r.metadataHeader);
    } catch {
      throw new TransportError('malformed', { detail: 'no clock' });
    }
    return { serverClock: meta.server_clock, sampleRate: Number(meta.server_sample_rate), rttMs };
  }

  /** One audio exchange (as HttpTransport.exchange). */
  async exchange(query, body) {
    if (this.kind === 'http') return this.http.exchange(query, body);
    const r = await this.request(query, body, EXCHANGE_TIMEOUT_MS, () => this.http.exchange(query, body));
    if (r.fellBack) return r.value;
    if (r.status !== 200) return { status: r.status, message: errorMessageOf(r.status, r.metadataHeader, decoder.decode(r.bytes)) };
    return { status: 200, metadataHeader: r.metadataHeader, bytes: r.bytes };
  }

  status() {
    return this.http.status();
  }

  tracks() {
    return this.http.tracks();
  }

  recordings(operatorToken) {
    return this.http.recordings(operatorToken);
  }

  upload(file, opts) {
    return this.http.upload(file, opts);
  }

  /** Closes the socket (a later request opens a new one). */
  close() {
    const s = this.socket;
    this.socket = null;
    if (s) s.close();
    this.failPending(new TransportError('network', { detail: 'WebSocket closed' }));
  }

  /**
   * Sends one request message and waits for its reply. When the upgrade fails, `overHttp()` asks
   * the same over HTTP: if that answers, WebSockets are what is blocked, and HTTP is kept.
   */
  async request(query, body, ms, overHttp) {
    let socket;
    try {
      socket = await this.open();
    } catch {
      const value = await overHttp();
      this.useHttp('the WebSocket upgrade failed');
      return { fellBack: true, value };
    }
    return new Promise((resolve, reject) => {
      const entry = { resolve, reject, timer: setTimeout(() => this.drop('timeout'), ms) };
      this.pending.push(entry);
      socket.send(encodeRequest(query, body));
    });
  }

  useHttp(why) {
    this.kind = 'http';
    this.why = why;
    this.close();
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
        this.onDrop('network');
      };
      s.onmessage = (e) => this.onMessage(e.data);
    });
    return this.opening;
  }

  onMessage(data) {
    if (typeof data === 'string') return this.onText(data);
    const entry = this.pending.shift();
    if (!entry) return;
    clearTimeout(entry.timer);
    try {
      entry.resolve(decodeReply(data));
      if (++this.okSinceDrop >= MIN_OK_BETWEEN_DROPS) this.drops = 0;
    } catch (err) {
      entry.reject(new TransportError('malformed', { detail: err.message }));
    }
  }

  /** A push: JSON with a "push" key; anything else is ignored (a newer server's kinds too). */
  onText(text) {
    let push;
    try {
      push = JSON.parse(text);
    } catch {
      return;
    }
    if (push && typeof push.push === 'string' && this.onPush) this.onPush(push);
  }

  /** A request timed out: the socket is closed, and that counts as a drop. */
  drop(kind) {
    const s = this.socket;
    this.socket = null;
    if (s) s.close();
    this.onDrop(kind);
  }

  onDrop(kind) {
    this.failPending(new TransportError(kind, { detail: 'WebSocket dropped' }));
    this.okSinceDrop = 0;
    if (++this.drops >= MAX_DROPS) this.useHttp(`the WebSocket dropped ${this.drops} times`);
  }

  failPending(err) {
    const pending = this.pending;
    this.pending = [];
    for (const p of pending) {
      clearTimeout(p.timer);
      p.reject(err);
    }
  }
}
