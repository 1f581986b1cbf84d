// brigade singer page: the transport, the one object that talks to the server.
//
// Everything the page sends goes through a transport: the clock, the audio exchange, the room's
// status, the track list and track uploads. It knows URLs, HTTP and timeouts, and nothing of
// clocks, codecs or the room. Another transport (a WebSocket, say) slots in by offering the same
// methods with the same results:
//   clock()                      → {serverClock, sampleRate, rttMs}
//   exchange(query, body)        → {status: 200, metadataHeader, bytes: Uint8Array}, or
//                                  {status, message} for any other answer (message: the server's)
//   status()                     → {nConnectedUsers, maxUsers}
//   tracks()                     → string[]
//   recordings(operatorToken)    → the listing ({recordings: [...], ...})
//   upload(file, {adminToken})   → {track, tracks}
// Failures throw a TransportError whose `kind` says what went wrong; the UI words it.

import { errorMessageOf } from './protocol.js';

/** Timeouts for one clock GET, one audio POST, one small JSON call and one upload. */
const CLOCK_TIMEOUT_MS = 5000;
const EXCHANGE_TIMEOUT_MS = 8000;
const SMALL_TIMEOUT_MS = 8000;
const UPLOAD_TIMEOUT_MS = 120000;

/**
 * kind: 'timeout' | 'network' (no answer), 'http' (an answer other than 200; `status`, and the
 * server's own `message` when it sent one), 'malformed' (an answer the page cannot read).
 */
export class TransportError extends Error {
  constructor(kind, { status = 0, message = '', detail = '' } = {}) {
    super(message || detail || kind);
    this.kind = kind;
    this.status = status;
    this.serverMessage = message;
    this.detail = detail;
  }

  /** No answer at all: the network or the server is down. */
  get network() {
    return this.kind === 'timeout' || this.kind === 'network';
  }
}

async function fetchWithTimeout(url, options, ms) {
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(), ms);
  try {
    return await fetch(url, { ...options, signal: ctl.signal, cache: 'no-store' });
  } catch (err) {
    throw new TransportError(err.name === 'AbortError' ? 'timeout' : 'network');
  } finally {
    clearTimeout(timer);
  }
}

async function readJson(res) {
  try {
    return await res.json();
  } catch {
    return null;
  }
}

/** The documented HTTP API on `apiUrl` (…/api); uploads and tracks live beside it. */
export class HttpTransport {
  constructor(apiUrl) {
    this.apiUrl = apiUrl;
    const base = apiUrl.replace(/\/$/, '');
    this.tracksUrl = `${base}/tracks`;
    this.uploadUrl = `${base}/upload`;
    this.recordingsUrl = `${base}/recordings`;
  }

  /** The server clock (GET /api), corrected by half the round trip. */
  async clock() {
    const t0 = performance.now();
    const res = await fetchWithTimeout(this.apiUrl, { method: 'GET' }, CLOCK_TIMEOUT_MS);
    const rttMs = performance.now() - t0;
    const header = res.headers.get('X-Audio-Metadata');
    if (!res.ok) throw new TransportError('http', { status: res.status, message: errorMessageOf(res.status, header, await res.text()) });
    let meta;
    try {
      meta = JSON.parse(header);
    } catch {
      throw new TransportError('malformed', { detail: 'no clock' });
    }
    return { serverClock: meta.server_clock, sampleRate: Number(meta.server_sample_rate), rttMs };
  }

  /** One audio exchange: `query` (URLSearchParams text), `body` (Uint8Array). */
  async exchange(query, body) {
    const res = await fetchWithTimeout(`${this.apiUrl}?${query}`, { method: 'POST', body }, EXCHANGE_TIMEOUT_MS);
    const metadataHeader = res.headers.get('X-Audio-Metadata');
    if (res.status !== 200) return { status: res.status, message: errorMessageOf(res.status, metadataHeader, await res.text()) };
    return { status: 200, metadataHeader, bytes: new Uint8Array(await res.arrayBuffer()) };
  }

  /** The room's occupancy (POST ?action=status). */
  async status() {
    const res = await fetchWithTimeout(`${this.apiUrl}?action=status`, { method: 'POST' }, SMALL_TIMEOUT_MS);
    const data = await readJson(res);
    if (!res.ok || !data) throw new TransportError('http', { status: res.status, message: data?.message || '' });
    return { nConnectedUsers: data.n_connected_users, maxUsers: data.max_users };
  }

  /** The server's backing tracks. */
  async tracks() {
    const res = await fetchWithTimeout(this.tracksUrl, { method: 'GET' }, SMALL_TIMEOUT_MS);
    const data = await readJson(res);
    if (!res.ok || !data || !Array.isArray(data.tracks)) {
      throw new TransportError('http', { status: res.status, message: data?.message || `HTTP ${res.status}` });
    }
    return data.tracks.map(String);
  }

  /** The recordings listing; with --private the server wants an operator's (or the admin) token. */
  async recordings(operatorToken = '') {
    const headers = operatorToken ? { 'X-Operator-Token': operatorToken } : {};
    const res = await fetchWithTimeout(this.recordingsUrl, { method: 'GET', headers }, SMALL_TIMEOUT_MS);
    const data = await readJson(res);
    if (!res.ok || !data) throw new TransportError('http', { status: res.status, message: data?.message || '' });
    return data;
  }

  /** Uploads a backing track (the server recognises the format from its first bytes). */
  async upload(file, { adminToken = '' } = {}) {
    const headers = { 'Content-Type': file.type || 'application/octet-stream' };
    if (adminToken) headers['X-Admin-Token'] = adminToken;
    const res = await fetchWithTimeout(this.uploadUrl, { method: 'POST', body: file, headers }, UPLOAD_TIMEOUT_MS);
    const data = await readJson(res);
    if (!res.ok || !data || typeof data.track !== 'string') {
      throw new TransportError('http', { status: res.status, message: data?.message || `HTTP ${res.status}` });
    }
    return { track: data.track, tracks: Array.isArray(data.tracks) ? data.tracks.map(String) : null };
  }
}
