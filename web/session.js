// brigade singer page: one singer's connection to the server (clock, audio exchanges, reconnects).
//
// Clock bookkeeping (all in 48 kHz samples):
// - On connect, GET /api gives the server clock; the first read ends `offset` seconds behind it,
//   rounded down to the 60 ms frame grid (so the server can share one Opus stream per delay).
// - One exchange per 600 ms batch (n_samples = 28800 = 10 Opus packets of 60 ms), due in real
//   time. The first exchange of a connection reads only (reset_user_state, no write_clock, empty
//   body); exchanges stay read-only until the encoder holds a whole batch of microphone audio
//   (about 1.1 s plus the latency after the first reply). From then on every exchange carries
//   exactly 10 packets, and read_clock and write_clock both advance by 28800.
// - The user summary is asked for on every exchange with the version the page holds
//   (user_summary_version): the server leaves it out while the listing is unchanged. The page
//   drops the version (to refresh the level meters) at a cadence that keeps summary bytes near
//   SUMMARY_BYTES_PER_SECOND whatever the choir's size.
// - Decoded reply audio, counted from the connection's first read sample, plays from local frame
//   `playStart` on. A microphone sample taken at local frame f was sung along with what played at
//   f - latency, so it is written at the server position of that audio (minus codec lookahead).

import {
  SAMPLE_RATE,
  FRAME_SAMPLES,
  BATCH_SAMPLES,
  MAX_PACKETS_PER_REQUEST,
  SUMMARY_RECORD_BYTES,
  ADMIN_PARAMS,
  audioQuery,
  parseAudioReply,
  errorMessageOf,
  exchangeBody,
  bucketOf,
  firstReadClock,
  roundsSeconds,
} from './protocol.js';
import { OpusEncoderStream, OpusDecoderStream } from './codec.js';
import { SampleHistory } from './audio-engine.js';
import { DriftWatch } from './clock-drift.js';
import { ExchangeTransport } from './ws-transport.js';

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
/** Packets per exchange: one 600 ms batch (the server's container holds up to 255). */
const BATCH_PACKETS = Math.min(BATCH_SAMPLES / FRAME_SAMPLES, MAX_PACKETS_PER_REQUEST);
/** A read-only exchange's packets. */
const NO_PACKETS = Object.freeze([]);
/** Level meters refresh at most this often... */
const LEVELS_MIN_MS = 600;
/** ...and no more often than keeps full summaries (51 bytes per singer) near this rate. */
const SUMMARY_BYTES_PER_SECOND = 2000;
/** Silence pushed to the encoder for a muted block or a capture gap (allocated once). */
const ZEROS = new Float32Array(4096);
/** Default position before anyone leads: the last bucket. */
export const DEFAULT_OFFSET_SECONDS = 18;
/** Notices kept for the page (refusals and confirmations of room-wide controls). */
const MAX_NOTICES = 20;
/** What the page calls each parameter in notices. */
const PARAM_LABELS = {
  monitor: 'solo',
  unmonitor: 'solo',
  mic_volume: "another singer's microphone level",
  volume: 'global volume',
  backing_volume: 'backing volume',
  disableAutoGain: 'automatic gain',
  track: 'backing track',
  clear_events: 'clearing markers',
  mark_stop_singing: 'halting the song',
  mark_start_singing: 'starting the song',
  request_lead: 'taking the lead',
  hand_lead: 'handing the lead over',
};
/** Song controls the server may refuse (403/409) while someone else leads. */
const SONG_PARAMS = ['request_lead', 'mark_start_singing', 'mark_stop_singing', 'hand_lead'];

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
    /** WebSocket by default, HTTP as the fallback (or when opts.transport is 'http'). */
    this.transport = new ExchangeTransport(opts.apiUrl, {
      httpFetch: fetchWithTimeout,
      networkError: (message) => new ExchangeError(message, { network: true }),
      mode: opts.transport,
    });
    this.onChange = onChange;
    this.userid = String(Math.floor(Math.random() * 1e11) + 1);
    this.name = opts.name;
    this.latencySamples = Math.round((opts.latencyMs * SAMPLE_RATE) / 1000);
    this.listenOnly = opts.listenOnly || !engine.hasMic;
    this.muted = false;
    /** Without headphones the server keeps this singer in the last bucket (headphones=0). */
    this.noHeadphones = Boolean(opts.noHeadphones);
    this.offsetSeconds = DEFAULT_OFFSET_SECONDS;
    /** One-shot parameters for the next exchange ({name: value}), chat lines, mic volumes, lyrics. */
    this.pendingParams = {};
    this.pendingChats = [];
    this.pendingMicVolumes = new Map();
    this.pendingJson = null;
    /** Sent on every request: the operators' admin token, and "hear the solo mix". */
    this.adminToken = opts.adminToken || '';
    /** Session credential from the server's reply to our reset, echoed on every exchange ('new' asks for one). */
    this.sessionToken = 'new';
    this.hearSolos = false;
    /** This singer's own backing level (friendly 0–2), re-sent on every connection's first request. */
    this.userBackingVolume = null;
    /** Re-lead once the server has taken new rounds settings (they decide the bucket positions). */
    this.releadAfterRounds = false;
    /** Room settings as the server last reported them (metadata keys delivered once when changed). */
    this.room = {
      bpm: 0,
      repeats: 0,
      bpr: 0,
      tracks: [],
      globalVolume: null,
      backingVolume: null,
      backingType: '',
      lyrics: '',
    };
    /** {id, kind: 'ok' | 'refused', area: 'song' | 'console', text}, newest last. */
    this.notices = [];
    this.noticeId = 0;
    /** What the page shows. */
    this.users = [];
    /** The listing as last received, and its version (null: ask for the whole summary). */
    this.rawUsers = [];
    this.summaryVersion = null;
    this.summaryAt = 0;
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
    this.transport.close();
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

  /** Queues a one-shot flag (request_lead, mark_start_singing, mark_stop_singing, ...). */
  flag(name) {
    this.pendingParams[name] = '1';
  }

  /** Queues one-shot parameters for the next exchange; a later value replaces an unsent one. */
  setParams(params) {
    for (const [key, value] of Object.entries(params)) this.pendingParams[key] = String(value);
  }

  /** Starts the song, with `track` (a name, or '' for none) as its backing track. */
  startSong(track) {
    if (track) this.pendingParams.track = track;
    this.flag('mark_start_singing');
  }

  /** Sends bpm / repeats / bpr together; new rounds re-assign the buckets once the server has them. */
  applyRounds(bpm, repeats, bpr) {
    this.setParams({ bpm, repeats, bpr });
    const before = roundsSeconds(this.room.bpm, this.room.repeats, this.room.bpr);
    this.releadAfterRounds = this.isLeader && roundsSeconds(bpm, repeats, bpr) !== before;
  }

  /** A console edit of a singer's microphone level (0–2). */
  setMicVolume(userid, value) {
    this.pendingMicVolumes.set(userid, value);
  }

  /** Lyrics for everyone, sent in the JSON prefix of the next exchange. */
  provideLyrics(text) {
    this.pendingJson = { lyrics: text };
  }

  setUserBackingVolume(value) {
    this.userBackingVolume = value;
    this.pendingParams.user_backing_volume = String(value);
  }

  setHearSolos(on) {
    this.hearSolos = on;
    if (on) this.flag('begin_monitor');
    this.onChange();
  }

  setSolo(userid, on) {
    const [set, undo] = on ? ['monitor', 'unmonitor'] : ['unmonitor', 'monitor'];
    if (this.pendingParams[undo] === userid) delete this.pendingParams[undo];
    this.pendingParams[set] = userid;
  }

  setAdminToken(token) {
    this.adminToken = token;
    this.onChange();
  }

  notice(kind, area, text) {
    this.notices.push({ id: ++this.noticeId, kind, area, text });
    if (this.notices.length > MAX_NOTICES) this.notices.splice(0, this.notices.length - MAX_NOTICES);
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
    const res = await this.transport.fetch(this.apiUrl, { method: 'GET' }, CLOCK_TIMEOUT_MS);
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
    const firstReadEnd = firstReadClock(serverNow, this.offsetSeconds);
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
      /** This connection's reads against the server clock (see clock-drift.js). */
      drift: new DriftWatch(),
    };
    if (this.userBackingVolume !== null) this.pendingParams.user_backing_volume = String(this.userBackingVolume);
    this.summaryVersion = null;
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

  /**
   * Feeds microphone blocks (from captureFrom on, contiguous) to the encoder. Runs per capture
   * block: it copies nothing and allocates no sample storage (AudioData copies what it is given).
   */
  capture(frame, buf) {
    const c = this.conn;
    if (!c || !c.encoder || c.captureFrom === null) return;
    if (c.captureNext === null) c.captureNext = c.captureFrom;
    const end = frame + buf.length;
    if (end <= c.captureNext) return;
    while (frame > c.captureNext) {
      // A gap: keep the stream contiguous with silence.
      const n = Math.min(frame - c.captureNext, ZEROS.length);
      c.encoder.push(ZEROS.subarray(0, n));
      c.captureNext += n;
    }
    const skip = c.captureNext - frame;
    const length = buf.length - skip;
    let part = skip === 0 ? buf : buf.subarray(skip);
    if (this.muted) part = length === ZEROS.length ? ZEROS : ZEROS.subarray(0, Math.min(length, ZEROS.length));
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

  /** Moves this singer to `seconds` behind the server (a bucket chosen before a song). */
  chooseOffset(seconds) {
    if (seconds !== this.offsetSeconds) this.newOffset = seconds;
  }

  /** The server clock of the audio playing right now, or null before playback starts. */
  playingClock() {
    const c = this.conn;
    if (!c || c.playStart === null) return null;
    return c.streamOrigin + this.engine.nowFrame() - c.playStart;
  }

  bucketForOffset() {
    return bucketOf(this.offsetSeconds, this.firstBucket);
  }

  /**
   * The next exchange: always one 600 ms batch. Read-only until the encoder holds a whole batch;
   * once uploading, exactly BATCH_PACKETS packets, or null while the microphone is behind.
   */
  nextRequest(c) {
    const ready = c.encoder !== null && c.captureFrom !== null && c.encoder.packets.length >= BATCH_PACKETS;
    if (!ready) return c.writeEnd === null ? { packets: NO_PACKETS, nSamples: BATCH_SAMPLES } : null;
    return { packets: c.encoder.packets.slice(0, BATCH_PACKETS), nSamples: BATCH_SAMPLES };
  }

  /** The summary version to echo: null when the page wants the whole summary (levels too). */
  summaryVersionToSend() {
    if (this.summaryVersion === null) return null;
    const everyMs = Math.max(LEVELS_MIN_MS, (this.rawUsers.length * SUMMARY_RECORD_BYTES * 1000) / SUMMARY_BYTES_PER_SECOND);
    return performance.now() - this.summaryAt < everyMs ? this.summaryVersion : null;
  }

  async exchange(c, req) {
    const n = req.nSamples;
    const readClock = c.readEnd === null ? c.firstReadEnd : c.readEnd + n;
    let writeClock = null;
    if (req.packets.length) {
      writeClock = (c.writeEnd === null ? c.writeStart : c.writeEnd) + n;
    }
    let outbox = this.takeOutbox();
    let res = await this.post(c, { readClock, writeClock, n, packets: req.packets, outbox });
    if (res.status === 403 || res.status === 409) {
      // Nothing of the request was applied and the server reset our codec pair: say what was
      // refused, and ask again for the same interval without the room-wide controls.
      const message = errorMessageOf(res.status, res.headers.get('X-Audio-Metadata'), await res.text());
      outbox = this.refuse(outbox, message);
      c.reset = true;
      res = await this.post(c, { readClock, writeClock, n, packets: req.packets, outbox });
    }
    const metaHeader = res.headers.get('X-Audio-Metadata');
    if (res.status !== 200) {
      this.pendingChats = outbox.chats.concat(this.pendingChats);
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
    if (typeof m.session_token === 'string') this.sessionToken = m.session_token;
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
    this.confirm(outbox.params, m);
    this.stats.readClock = readClock;
    this.stats.writeClock = c.writeEnd;
    this.stats.serverClock = m.server_clock;
    if (Number.isInteger(m.server_clock) && c.drift.observe(m.server_clock - readClock) && this.newOffset === undefined) {
      // The device clock drifted half a frame from the server's: rejoin at exactly our delay.
      this.stats.reanchors = (this.stats.reanchors || 0) + 1;
      this.requestReconnect();
    }
    this.stats.driftMs = c.drift.drift === null ? null : (c.drift.drift * 1000) / SAMPLE_RATE;
    this.stats.underruns = this.engine.underruns;
    this.stats.uploading = c.writeEnd !== null;
    if (this.stats.state !== 'connected') this.setState('connected', '');
    this.onChange();
  }

  /** Takes everything queued for the next exchange. */
  takeOutbox() {
    const outbox = {
      params: this.pendingParams,
      chats: this.pendingChats,
      micVolumes: [...this.pendingMicVolumes],
      json: this.pendingJson,
    };
    this.pendingParams = {};
    this.pendingChats = [];
    this.pendingMicVolumes = new Map();
    this.pendingJson = null;
    return outbox;
  }

  /** POSTs one exchange; a network failure puts the chat lines back in the queue. */
  async post(c, { readClock, writeClock, n, packets, outbox }) {
    const { body, jsonLen } = exchangeBody(outbox.json, packets);
    const params = { ...outbox.params };
    if (this.hearSolos) params.hear_monitor = '1';
    if (this.noHeadphones) params.headphones = '0';
    const query = audioQuery({
      userid: this.userid,
      readClock,
      writeClock,
      nSamples: n,
      username: this.name,
      reset: c.reset,
      spectator: this.listenOnly,
      muted: this.muted || this.listenOnly,
      params,
      chats: outbox.chats,
      micVolumes: outbox.micVolumes,
      jsonLen,
      adminToken: this.adminToken,
      summaryVersion: this.summaryVersionToSend(),
      sessionToken: this.sessionToken,
    });
    this.stats.requests++;
    try {
      return await this.transport.fetch(`${this.apiUrl}?${query}`, { method: 'POST', body }, EXCHANGE_TIMEOUT_MS);
    } catch (err) {
      this.pendingChats = outbox.chats.concat(this.pendingChats);
      throw err;
    }
  }

  /** Records a 403 and returns the outbox without the refused controls (and a start that needed its track). */
  refuse(outbox, message) {
    const params = { ...outbox.params };
    const ownStop = this.isLeader; // The leader may always stop its own song.
    const refusable = ADMIN_PARAMS.concat(SONG_PARAMS.filter((k) => !ADMIN_PARAMS.includes(k)));
    const refused = refusable.filter((k) => k in params && !(k === 'mark_stop_singing' && ownStop));
    if ('track' in params && 'mark_start_singing' in params && !refused.includes('mark_start_singing')) refused.push('mark_start_singing');
    // Controls over other singers (their level, solo) need the token too.
    const own = (id) => String(id) === String(this.userid);
    for (const k of ['monitor', 'unmonitor']) if (k in params && !own(params[k])) refused.push(k);
    const micVolumes = outbox.micVolumes.filter(([id]) => own(id));
    if (micVolumes.length < outbox.micVolumes.length) refused.push('mic_volume');
    for (const k of refused) delete params[k];
    if (refused.includes('mark_start_singing') || refused.includes('track')) this.releadAfterRounds = false;
    const what = refused.map((k) => PARAM_LABELS[k] || k).join(', ') || 'the request';
    // Halting comes from the console; the other song controls from the Song card.
    const area = refused.some((k) => k === 'track' || (SONG_PARAMS.includes(k) && k !== 'mark_stop_singing')) ? 'song' : 'console';
    const hint = !/admin token/.test(message) ? ''
      : this.adminToken
      ? 'The admin token you entered was not accepted; check it with the operator.'
      : `Ask the operator for the admin token and enter it ${area === 'console' ? 'below' : 'in the mixing console'}.`;
    this.notice('refused', area, `The server refused ${what}: ${message.replace(/\.$/, '')}. ${hint}`);
    this.stats.refusals = (this.stats.refusals || 0) + 1;
    this.onChange();
    return { ...outbox, params, micVolumes };
  }

  /** After a successful exchange: confirm the room-wide controls it carried, and re-lead after new rounds. */
  confirm(params, m) {
    const done = [];
    if ('volume' in params) done.push(`global volume ${fmt(m.globalVolume ?? params.volume)}`);
    if ('backing_volume' in params) done.push(`backing volume ${fmt(m.backingVolume ?? params.backing_volume)}`);
    if ('disableAutoGain' in params) done.push(`automatic gain ${params.disableAutoGain === '1' ? 'off' : 'on'}`);
    if ('mark_stop_singing' in params && m.song_start_clock === 1) done.push('song halted');
    if (done.length) this.notice('ok', 'console', `The server applied: ${done.join(', ')}.`);
    if ('bpm' in params && this.releadAfterRounds) {
      this.releadAfterRounds = false;
      if (this.isLeader && this.songState !== 'singing') this.flag('request_lead');
    }
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
    const r = this.room;
    for (const key of ['bpm', 'repeats', 'bpr']) if (Number.isInteger(m[key])) r[key] = m[key];
    if (Array.isArray(m.tracks)) r.tracks = m.tracks.map(String);
    if (typeof m.globalVolume === 'number') r.globalVolume = m.globalVolume;
    if (typeof m.backingVolume === 'number') r.backingVolume = m.backingVolume;
    if (typeof m.backing_track_type === 'string') r.backingType = m.backing_track_type;
    if (typeof m.lyrics === 'string') r.lyrics = m.lyrics;
    this.leader = m.leader === null || m.leader === undefined ? null : String(m.leader);
    this.songStart = m.song_start_clock || 0;
    this.songEnd = m.song_end_clock || 0;
    for (const [name, text] of m.chats || []) this.chats.push({ name, text, own: false });
    if (this.chats.length > 200) this.chats.splice(0, this.chats.length - 200);
    if (users !== null) {
      this.rawUsers = users;
      this.summaryAt = performance.now();
    }
    if (Number.isInteger(m.user_summary_version)) this.summaryVersion = m.user_summary_version;
    this.users = this.rawUsers.map((u) => ({ ...u, bucket: bucketOf(u.delaySeconds, this.firstBucket) }));
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

/** A friendly volume for notices: two decimals. */
function fmt(v) {
  const x = Number(v);
  return Number.isFinite(x) ? x.toFixed(2) : String(v);
}
