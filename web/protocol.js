// brigade singer page: the wire format of the documented API, as pure functions.
// No DOM, no audio: importable from node for unit tests.

/** Server sample rate; the API's clocks count samples at this rate. */
export const SAMPLE_RATE = 48000;
/** One Opus packet = 60 ms at 48 kHz. */
export const FRAME_SAMPLES = 2880;
/** One exchange carries 600 ms of audio. */
export const BATCH_SAMPLES = 10 * FRAME_SAMPLES;
/** Seconds between buckets, and how many buckets a song has. */
export const BUCKET_SECONDS = 3;
export const N_BUCKETS = 6;
/** Bytes of one user-summary record. */
export const SUMMARY_RECORD_BYTES = 51;
/** The container's count is a uint8. */
export const MAX_PACKETS_PER_REQUEST = 255;

/** Most characters of lyrics the page sends (the original UI's cap). */
export const MAX_LYRICS_CHARS = 8500;
/** Largest backing-track upload the server accepts (POST /api/upload). */
export const MAX_UPLOAD_BYTES = 32 * 1024 * 1024;
/** Parameters the server refuses (403) without the admin token, when it runs with one. */
export const ADMIN_PARAMS = ['volume', 'backing_volume', 'disableAutoGain', 'track', 'clear_events', 'mark_stop_singing'];

/**
 * The first read clock of a connection: `serverNow - offsetSeconds`, rounded down to the 60 ms
 * frame grid. Reads on the grid let singers at the same delay share one Opus stream; every later
 * read advances by whole frames, so the connection stays on the grid.
 */
export function firstReadClock(serverNow, offsetSeconds) {
  const target = serverNow - offsetSeconds * SAMPLE_RATE;
  return Math.floor(target / FRAME_SAMPLES) * FRAME_SAMPLES;
}

/** Seconds one set of rounds lasts (the server's `initial`, §6.2), or 0 without rounds. */
export function roundsSeconds(bpm, repeats, bpr) {
  if (!(bpm > 0 && repeats > 0 && bpr > 0)) return 0;
  return Math.min(90, Math.trunc((60 / bpm) * bpr * repeats));
}

/** Which bucket (0..5) a singer with `delaySeconds` is in. */
export function bucketOf(delaySeconds, firstBucket) {
  const b = Math.round((delaySeconds - firstBucket) / BUCKET_SECONDS);
  return Math.min(N_BUCKETS - 1, Math.max(0, b));
}

/** Packs Opus packets (Uint8Array[]) into the multi-packet container. */
export function encodeContainer(packets) {
  if (packets.length > MAX_PACKETS_PER_REQUEST) throw new Error('too many packets for one request');
  let total = 1;
  for (const p of packets) {
    if (p.length > 0xffff) throw new Error('Opus packet too large');
    total += 2 + p.length;
  }
  const out = new Uint8Array(total);
  out[0] = packets.length;
  let at = 1;
  for (const p of packets) {
    out[at] = p.length >> 8;
    out[at + 1] = p.length & 0xff;
    out.set(p, at + 2);
    at += 2 + p.length;
  }
  return out;
}

/** Splits a multi-packet container into its packets (views into `bytes`). Throws when malformed. */
export function decodeContainer(bytes) {
  if (bytes.length === 0) return [];
  const count = bytes[0];
  const packets = [];
  let at = 1;
  for (let i = 0; i < count; i++) {
    if (at + 2 > bytes.length) throw new Error('audio container truncated');
    const len = (bytes[at] << 8) | bytes[at + 1];
    at += 2;
    if (at + len > bytes.length) throw new Error('audio container truncated');
    packets.push(bytes.subarray(at, at + len));
    at += len;
  }
  if (at !== bytes.length) throw new Error('audio container has trailing bytes');
  return packets;
}

const utf8 = new TextDecoder('utf-8');

/** Parses the user-summary block at `offset`; returns {users, end}. */
export function decodeUserSummary(bytes, offset) {
  if (offset + 2 > bytes.length) throw new Error('user summary missing');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const count = view.getUint16(offset);
  let at = offset + 2;
  if (at + count * SUMMARY_RECORD_BYTES > bytes.length) throw new Error('user summary truncated');
  const users = [];
  for (let i = 0; i < count; i++, at += SUMMARY_RECORD_BYTES) {
    const id = view.getBigUint64(at).toString();
    let nameEnd = at + 8;
    while (nameEnd < at + 40 && bytes[nameEnd] !== 0) nameEnd++;
    const name = utf8.decode(bytes.subarray(at + 8, nameEnd));
    const flags = bytes[at + 50];
    users.push({
      id,
      name,
      micVolume: view.getFloat32(at + 40),
      rms: view.getFloat32(at + 44),
      delaySeconds: view.getUint16(at + 48),
      muted: (flags & 1) !== 0,
      soloed: (flags & 2) !== 0,
    });
  }
  return { users, end: at };
}

/**
 * Parses a 200 reply of the audio exchange.
 * `metadataHeader` is the X-Audio-Metadata header text, `body` the reply bytes.
 * Returns {metadata, users, packets}; `users` is null when the server left the summary out
 * (user_summary_unchanged: the version the page sent is current, or the server's budget holds
 * a changed listing back and reports that same version).
 */
export function parseAudioReply(metadataHeader, body) {
  if (!metadataHeader) throw new Error('reply lacks X-Audio-Metadata');
  const header = JSON.parse(metadataHeader);
  const len = header.metadata_len;
  if (!Number.isInteger(len) || len < 0 || len > body.length) throw new Error('bad metadata_len');
  const metadata = JSON.parse(utf8.decode(body.subarray(0, len)));
  const { users, end } = decodeUserSummary(body, len);
  const packets = decodeContainer(body.subarray(end));
  return { metadata, users: metadata.user_summary_unchanged === true ? null : users, packets };
}

/** Reads the error text of a non-200 reply: the kill_client message if any. */
export function errorMessageOf(status, metadataHeader, bodyText) {
  if (metadataHeader) {
    try {
      const m = JSON.parse(metadataHeader);
      if (m && typeof m.message === 'string' && m.message) return m.message;
    } catch {
      // Not JSON: fall through to the status line.
    }
  }
  const text = (bodyText || '').trim();
  if (text && text.length < 200 && !text.startsWith('<')) return `HTTP ${status}: ${text}`;
  return `HTTP ${status}`;
}

/**
 * Builds the query string of one audio exchange.
 * `req`: {userid, readClock, writeClock|null, nSamples, username, reset, spectator, muted,
 *         flags: {request_lead, mark_start_singing, mark_stop_singing}, chats: string[],
 *         params: {name: string} (other parameters, sent as given), micVolumes: [[userid, v]],
 *         jsonLen: byte length of the JSON prefix (0 = none), adminToken,
 *         summary: false when the summary comes pushed (a WebSocket with pushes; default true),
 *         summaryVersion: the user-summary version held (null = send the whole summary),
 *         sessionToken: the server's session credential ('new' asks for one)}
 */
export function audioQuery(req) {
  const q = new URLSearchParams();
  q.set('userid', req.userid);
  q.set('read_clock', String(req.readClock));
  if (req.writeClock !== null && req.writeClock !== undefined) q.set('write_clock', String(req.writeClock));
  q.set('n_samples', String(req.nSamples));
  if (req.username) q.set('username', req.username);
  if (req.summary !== false) {
    q.set('user_summary', '1');
    if (req.summaryVersion !== null && req.summaryVersion !== undefined) q.set('user_summary_version', String(req.summaryVersion));
  }
  if (req.reset) q.set('reset_user_state', 'true');
  if (req.spectator) q.set('spectator', '1');
  if (req.muted) q.set('muted', '1');
  for (const [key, on] of Object.entries(req.flags || {})) if (on) q.set(key, '1');
  for (const [key, value] of Object.entries(req.params || {})) {
    if (value !== undefined && value !== null && value !== '') q.set(key, String(value));
  }
  if (req.chats && req.chats.length) q.set('chat', JSON.stringify(req.chats));
  if (req.micVolumes && req.micVolumes.length) q.set('mic_volume', JSON.stringify(req.micVolumes));
  if (req.jsonLen > 0) q.set('json_len', String(req.jsonLen));
  if (req.adminToken) q.set('admin_token', req.adminToken);
  if (req.sessionToken) q.set('session_token', req.sessionToken);
  return q.toString();
}

/** The request body: an optional UTF-8 JSON prefix (`json` object or null), then the audio container. */
export function exchangeBody(json, packets) {
  const prefix = json ? new TextEncoder().encode(JSON.stringify(json)) : new Uint8Array(0);
  const audio = packets.length ? encodeContainer(packets) : new Uint8Array(0);
  const body = new Uint8Array(prefix.length + audio.length);
  body.set(prefix, 0);
  body.set(audio, prefix.length);
  return { body, jsonLen: prefix.length };
}
