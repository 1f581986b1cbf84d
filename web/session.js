// brigade singer page: one singer's connection to the server (clock, audio exchanges, reconnects).
//
// Clock bookkeeping (all in 48 kHz samples):
// - On connect, GET /api gives the server clock; the first read ends `offset` seconds behind it.
// - Every exchange reads n samples and, once uploading, writes the same n; both clocks advance by n.
// - Decoded reply audio, counted from the connection's first read sample, plays from local frame
//   `playStart` on. A microphone sample taken at local frame f was sung along with what played at
//   f - latency, so it is written at the server position of that audio (minus codec lookahead).

import {
  SAMPLE_RATE,
  FRAME_SAMPLES,
  BATCH_SAMPLES,
  MAX_PACKETS_PER_REQUEST,
  audioQuery,
  parseAudioReply,
  errorMessageOf,
  encodeContainer,
  bucketOf,
} from './protocol.js';
import { OpusEncoderStream, OpusDecoderStream } from './codec.js';
import { SampleHistory } from './audio-engine.js';

/** Opus lookahead (6.5 ms): decoded audio trails encoded audio by this much, once per codec pass. */
const CODEC_DELAY = 312;
/** Silence played before the first received sample; the margin for late replies. */
const LEAD_IN = Math.round(0.5 * SAMPLE_RATE);
/** Timeouts for one clock GET and one audio POST. */
const CLOCK_TIMEOUT_MS = 5000;
const EXCHANGE_TIMEOUT_MS = 8000;
/** Reconnect back-off after failures: doubles from the first to the last value. */
const BACKOFF_FIRST_MS = 1000;
const BACKOFF_MAX_MS = 10000;
/** Packets per request at most (the server's container holds 255). */
const MAX_PACKETS = Math.min(20, MAX_PACKETS_PER_REQUEST);
/** Default position before anyone leads: the last bucket. */
export const DEFAULT_OFFSET_SECONDS = 18;

class ExchangeError extends Error {
  constructor(message, { network = false } = {}) {
    super(message);
    this.network = network;
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function fetchWithTimeout(url, options, ms) {
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(), ms);
  try {
    return await fetch(url, { ...options, signal: ctl.signal, cache: 'no-store' });
  } catch (err) {
    const why = err.name === 'AbortError' ? 'no answer in time' : 'network error';
    throw new ExchangeError(`Cannot reach the server (${why}).`, { network: true });
  } finally {
    clearTimeout(timer);
  }
}

export class Session {
  /**
   * `engine`: a started AudioEngine. `opts`: {apiUrl, name, latencyMs, listenOnly}.
   * `onChange()` is called whenever something shown on the page changed.
   */
  constructor(engine, opts, onChange) {
    this.engine = engine;
    this.apiUrl = opts.apiUrl;
    this.onChange = onChange;
    this.userid = String(Math.floor(Math.random() * 1e11) + 1);
    this.name = opts.name;
    this.latencySamples = Math.round((opts.latencyMs * SAMPLE_RATE) / 1000);
    this.listenOnly = opts.listenOnly || !engine.hasMic;
    this.muted = false;
    this.offsetSeconds = DEFAULT_OFFSET_SECONDS;
    /** One-shot flags for the next exchange, and chat lines not yet sent. */
    this.pendingFlags = {};
    this.pendingChats = [];
    /** What the page shows. */
    this.users = [];
    this.chats = [];
    this.leader = null;
    this.songStart = 0;
    this.songEnd = 0;
    this.firstBucket = 3;
    this.receivedHistory = new SampleHistory(4);
    this.stats = {
      state: 'idle',
      message: '',
      requests: 0,
      ok: 0,
      errors: 0,
      reconnects: 0,
      lastError: '',
      readClock: null,
      writeClock: null,
      serverClock: null,
      delaySeconds: null,
      bucket: null,
      offsetSeconds: this.offsetSeconds,
      latencyMs: opts.latencyMs,
      uploading: false,
      underruns: 0,
      userid: this.userid,
    };
    this.stopped = false;
    this.conn = null;
    this.reconnectNow = null;
    this.onMic = (frame, buf) => this.capture(frame, buf);
    engine.micListeners.add(this.onMic);
  }

  /** Runs until stop(): connect, exchange, and on failure wait and reconnect. */
  async run() {
    let backoff = BACKOFF_FIRST_MS;
    while (!this.stopped) {
      try {
        await this.connect();
        await this.exchangeLoop();
        backoff = BACKOFF_FIRST_MS;
      } catch (err) {
        if (this.stopped) break;
        this.stats.errors++;
        this.stats.lastError = err.message;
        const wait = backoff;
        backoff = Math.min(BACKOFF_MAX_MS, backoff * 2);
        if (this.conn && this.conn.okCount > 0) backoff = BACKOFF_FIRST_MS * 2;
        this.closeConnection();
        await this.waitRetry(err, wait);
      }
    }
    this.closeConnection();
  }

  /** Shows a countdown while waiting `ms` before the next attempt. */
  async waitRetry(err, ms) {
    const until = performance.now() + ms;
    const prefix = err.network
      ? `${err.message} Check your internet connection; you will rejoin automatically.`
      : `The server ended the connection: ${err.message.replace(/\.$/, '')}.`;
    for (;;) {
      const left = until - performance.now();
      if (left <= 0 || this.stopped) break;
      this.setState(err.network ? 'offline' : 'error', `${prefix} Retrying in ${Math.ceil(left / 1000)} s…`);
      await sleep(Math.min(left, 250));
    }
  }

  setState(state, message) {
    if (this.stats.state === state && this.stats.message === message) return;
    this.stats.state = state;
    this.stats.message = message;
    this.onChange();
  }

  stop() {
    this.stopped = true;
    this.engine.micListeners.delete(this.onMic);
  }

  /** Queues a one-shot flag (request_lead, mark_start_singing, mark_stop_singing). */
  flag(name) {
    this.pendingFlags[name] = true;
  }

  sendChat(text) {
    this.pendingChats.push(text);
    this.chats.push({ name: this.name, text, own: true });
    this.onChange();
  }

  setMuted(on) {
    this.muted = on;
    this.onChange();
  }

  /** Listen-only changes whether we upload, which needs a fresh connection. */
  setListenOnly(on) {
    if (!on && !this.engine.hasMic) return;
    this.listenOnly = on;
    this.requestReconnect();
  }

  requestReconnect() {
    if (this.reconnectNow) this.reconnectNow();
  }

  async connect() {
    this.setState(this.stats.ok > 0 ? 'reconnecting' : 'connecting', 'Connecting to the choir…');
    const t0 = performance.now();
    const res = await fetchWithTimeout(this.apiUrl, { method: 'GET' }, CLOCK_TIMEOUT_MS);
    const rtt = performance.now() - t0;
    if (!res.ok) throw new ExchangeError(errorMessageOf(res.status, res.headers.get('X-Audio-Metadata'), await res.text()));
    let meta;
    try {
      meta = JSON.parse(res.headers.get('X-Audio-Metadata'));
    } catch {
      throw new ExchangeError('The server sent no clock.');
    }
    if (!Number.isInteger(meta.server_clock) || Number(meta.server_sample_rate) !== SAMPLE_RATE) {
      throw new ExchangeError('The server clock is not a 48 kHz sample count.');
    }
    const serverNow = Math.round(meta.server_clock + ((rtt / 2) * SAMPLE_RATE) / 1000);
    const firstReadEnd = serverNow - this.offsetSeconds * SAMPLE_RATE;
    this.engine.flush();
    this.receivedHistory.clear();
    const upload = !this.listenOnly;
    this.conn = {
      /** Server sample where the decoded stream starts (start of the first read). */
      streamOrigin: firstReadEnd - BATCH_SAMPLES,
      /** End of the last requested read interval (null before the first request). */
      readEnd: null,
      firstReadEnd,
      /** Local frame when the first request went out; exchanges are due in real time from there. */
      sendFrame: this.engine.nowFrame(),
      readAdvance: 0,
      playStart: null,
      decodedSamples: 0,
      upload,
      encoder: upload ? new OpusEncoderStream() : null,
      decoder: new OpusDecoderStream(),
      /** First microphone frame to encode, and the next one expected. */
      captureFrom: null,
      captureNext: null,
      writeEnd: null,
      okCount: 0,
      reset: true,
    };
    this.stats.offsetSeconds = this.offsetSeconds;
    this.stats.readClock = null;
    this.stats.writeClock = null;
    this.stats.uploading = false;
  }

  closeConnection() {
    const c = this.conn;
    this.conn = null;
    if (!c) return;
    if (c.encoder) c.encoder.close();
    c.decoder.close();
    this.engine.flush();
  }

  /** Feeds microphone blocks (from captureFrom on, contiguous) to the encoder. */
  capture(frame, buf) {
    const c = this.conn;
    if (!c || !c.encoder || c.captureFrom === null) return;
    if (c.captureNext === null) c.captureNext = c.captureFrom;
    const end = frame + buf.length;
    if (end <= c.captureNext) return;
    if (frame > c.captureNext) {
      c.encoder.push(new Float32Array(frame - c.captureNext)); // A gap: keep the stream contiguous.
      c.captureNext = frame;
    }
    const part = buf.slice(c.captureNext - frame);
    if (this.muted) part.fill(0);
    c.encoder.push(part);
    c.captureNext = end;
  }

  async exchangeLoop() {
    const c = this.conn;
    let reconnect = false;
    this.reconnectNow = () => {
      reconnect = true;
    };
    while (!this.stopped && !reconnect && this.conn === c) {
      const req = this.nextRequest(c);
      if (!req) {
        await sleep(20);
        continue;
      }
      const due = c.readEnd === null ? c.sendFrame : c.sendFrame + c.readAdvance + req.nSamples;
      const waitMs = ((due - this.engine.nowFrame()) * 1000) / SAMPLE_RATE;
      if (waitMs > 0) {
        await sleep(Math.min(waitMs, 100));
        continue;
      }
      c.encoder?.take(req.packets.length);
      await this.exchange(c, req);
      if (this.newOffset !== undefined) {
        this.offsetSeconds = this.newOffset;
        this.newOffset = undefined;
        this.setState('reconnecting', `Moving you to bucket ${this.bucketForOffset() + 1}…`);
        reconnect = true;
      }
    }
    this.reconnectNow = null;
    this.closeConnection();
  }

  bucketForOffset() {
    return bucketOf(this.offsetSeconds, this.firstBucket);
  }

  /** The next exchange's parameters, or null when the microphone has not produced enough yet. */
  nextRequest(c) {
    let packets = [];
    if (c.encoder && c.captureFrom !== null) {
      packets = c.encoder.packets.slice(0, MAX_PACKETS);
      if (packets.length === 0) {
        if (c.writeEnd !== null) return null;
      } else if (c.writeEnd === null && packets.length < BATCH_SAMPLES / FRAME_SAMPLES) {
        return null; // Start uploading with a full batch.
      }
    }
    const nSamples = packets.length ? packets.length * FRAME_SAMPLES : BATCH_SAMPLES;
    return { packets, nSamples };
  }

  async exchange(c, req) {
    const n = req.nSamples;
    const readClock = c.readEnd === null ? c.firstReadEnd : c.readEnd + n;
    let writeClock = null;
    if (req.packets.length) {
      writeClock = (c.writeEnd === null ? c.writeStart : c.writeEnd) + n;
    }
    const flags = this.pendingFlags;
    const chats = this.pendingChats;
    this.pendingFlags = {};
    this.pendingChats = [];
    const query = audioQuery({
      userid: this.userid,
      readClock,
      writeClock,
      nSamples: n,
      username: this.name,
      reset: c.reset,
      spectator: this.listenOnly,
      muted: this.muted || this.listenOnly,
      flags,
      chats,
    });
    const body = req.packets.length ? encodeContainer(req.packets) : new Uint8Array(0);
    this.stats.requests++;
    let res;
    try {
      res = await fetchWithTimeout(`${this.apiUrl}?${query}`, { method: 'POST', body }, EXCHANGE_TIMEOUT_MS);
    } catch (err) {
      this.pendingChats = chats.concat(this.pendingChats);
      throw err;
    }
    const metaHeader = res.headers.get('X-Audio-Metadata');
    if (res.status !== 200) {
      this.pendingChats = chats.concat(this.pendingChats);
      throw new ExchangeError(errorMessageOf(res.status, metaHeader, await res.text()));
    }
    const bytes = new Uint8Array(await res.arrayBuffer());
    let reply;
    try {
      reply = parseAudioReply(metaHeader, bytes);
    } catch (err) {
      throw new ExchangeError(`Unreadable reply from the server (${err.message}).`);
    }
    const m = reply.metadata;
    if (m.client_read_clock !== readClock || m.n_samples !== n || reply.packets.length !== n / FRAME_SAMPLES) {
      throw new ExchangeError('The server answered for a different stretch of audio.');
    }
    c.readEnd = readClock;
    c.readAdvance += c.okCount === 0 ? 0 : n;
    if (writeClock !== null) c.writeEnd = writeClock;
    c.reset = false;
    const pcm = await c.decoder.decode(reply.packets);
    if (this.conn !== c) return;
    this.receivedHistory.push(pcm);
    this.schedulePlayback(c, pcm);
    c.okCount++;
    this.stats.ok++;
    this.applyMetadata(m, reply.users);
    this.stats.readClock = readClock;
    this.stats.writeClock = c.writeEnd;
    this.stats.serverClock = m.server_clock;
    this.stats.underruns = this.engine.underruns;
    this.stats.uploading = c.writeEnd !== null;
    if (this.stats.state !== 'connected') this.setState('connected', '');
    this.onChange();
  }

  /** Plays decoded reply audio in stream order; the first reply fixes the playback start. */
  schedulePlayback(c, pcm) {
    if (c.playStart === null) {
      c.playStart = this.engine.nowFrame() + LEAD_IN;
      this.engine.expectFrom(c.playStart);
      if (c.encoder) {
        c.captureFrom = c.playStart + this.latencySamples;
        c.writeStart = c.streamOrigin + c.captureFrom - this.latencySamples - c.playStart - 2 * CODEC_DELAY;
      }
    }
    this.engine.play(c.playStart + c.decodedSamples, pcm.slice());
    c.decodedSamples += pcm.length;
  }

  applyMetadata(m, users) {
    if (Number.isInteger(m.first_bucket)) this.firstBucket = m.first_bucket;
    this.leader = m.leader === null || m.leader === undefined ? null : String(m.leader);
    this.songStart = m.song_start_clock || 0;
    this.songEnd = m.song_end_clock || 0;
    for (const [name, text] of m.chats || []) this.chats.push({ name, text, own: false });
    if (this.chats.length > 200) this.chats.splice(0, this.chats.length - 200);
    this.users = users.map((u) => ({ ...u, bucket: bucketOf(u.delaySeconds, this.firstBucket) }));
    const me = this.users.find((u) => u.id === this.userid);
    this.stats.delaySeconds = me ? me.delaySeconds : this.offsetSeconds;
    this.stats.bucket = bucketOf(this.stats.delaySeconds, this.firstBucket);
    if (Number.isInteger(m.delay_seconds) && m.delay_seconds > 0 && m.delay_seconds !== this.offsetSeconds) {
      this.newOffset = m.delay_seconds;
    }
  }

  /** Song state for the page: 'none' | 'singing' | 'ended'. */
  get songState() {
    if (this.songStart > 1 && !this.songEnd) return 'singing';
    if (this.songStart > 1 && this.songEnd) return 'ended';
    return 'none';
  }

  get isLeader() {
    return this.leader !== null && this.leader === this.userid;
  }
}
