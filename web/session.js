// brigade singer page: one singer's session: connect, exchange in real time, reconnect with
// back-off. It ties the transport (transport.js), the clock math (clock.js), the codec pipeline
// (pipeline.js) and the room model (room-model.js) together; it words nothing and touches no DOM:
// its state and problems are data (`stats`, `notices`) that the UI puts into words.
//
// - One exchange per 600 ms batch (n_samples = 28800 = 10 Opus packets of 60 ms), due in real
//   time from a connection's first, which goes a random part of a batch after the clock reply
//   (reconnect.js says why; a re-anchor's goes when its old connection's next one was due). The
//   first exchange of a connection reads only (reset_user_state, no write_clock, empty body);
//   exchanges stay read-only until the encoder holds a whole batch of microphone audio (about
//   1.1 s plus the latency after the first reply). From then on every exchange carries exactly
//   10 packets.
// - A re-anchor goes on with its old connection's pipeline (clock.js, continueFrom): it uploads
//   from its first exchange, and sends reset_user_state only when its reads move by a frame (the
//   server refuses a jump without it); otherwise the server's codecs go on as well.
// - Over HTTP the user summary is asked for on every exchange with the version the page holds
//   (user_summary_version), also on a new connection's first exchange (a move to another bucket
//   keeps the listing: the server's budget paces what changed); see room-model.js for the
//   cadence of full summaries. Over a WebSocket the server pushes it (and chat lines) and
//   exchanges leave user_summary out.

import { SAMPLE_RATE, FRAME_SAMPLES, BATCH_SAMPLES, MAX_PACKETS_PER_REQUEST, audioQuery, parseAudioReply, exchangeBody, bucketOf } from './protocol.js';
import { TransportError } from './transport.js';
import { ConnectionClock } from './clock.js';
import { AudioPipeline } from './pipeline.js';
import { RoomModel } from './room-model.js';
import { DriftWatch } from './clock-drift.js';
import { Observers } from './observers.js';
import { BACKOFF_FIRST_MS, BACKOFF_MAX_MS, connectSpreadSamples, failureWaitMs, reanchorSpreadSamples } from './reconnect.js';

/** Packets per exchange: one 600 ms batch (the server's container holds up to 255). */
const BATCH_PACKETS = Math.min(BATCH_SAMPLES / FRAME_SAMPLES, MAX_PACKETS_PER_REQUEST);
/** A read-only exchange's packets. */
const NO_PACKETS = Object.freeze([]);
/** Default position before anyone leads: the last bucket. */
export const DEFAULT_OFFSET_SECONDS = 18;
/** Notices kept for the page (refusals and confirmations of room-wide controls). */
const MAX_NOTICES = 20;

/**
 * A session problem. code: 'unreachable' (detail 'timeout' | 'network'), 'server' (detail: the
 * server's message), 'no-clock', 'bad-clock', 'bad-reply' (detail), 'wrong-interval', 'audio'
 * (detail: the codec's error).
 */
export class SessionError extends Error {
  constructor(code, detail = '') {
    super(`${code}${detail ? `: ${detail}` : ''}`);
    this.code = code;
    this.detail = detail;
  }

  get network() {
    return this.code === 'unreachable';
  }

  static from(err) {
    if (err instanceof SessionError) return err;
    if (err instanceof TransportError) {
      if (err.network) return new SessionError('unreachable', err.kind);
      if (err.kind === 'malformed') return new SessionError('no-clock');
      return new SessionError('server', err.serverMessage || `HTTP ${err.status}`);
    }
    return new SessionError('audio', err.message);
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export class Session {
  /**
   * `engine`: a started AudioEngine; `transport`: an HttpTransport (or anything with its methods);
   * `opts`: {name, latencyMs, listenOnly, noHeadphones, adminToken, received (Observers)}.
   * `onChange()` is called whenever something shown on the page changed.
   */
  constructor(engine, transport, opts, onChange) {
    this.engine = engine;
    this.transport = transport;
    this.onChange = onChange;
    this.userid = String(Math.floor(Math.random() * 1e11) + 1);
    this.name = opts.name;
    this.latencySamples = Math.round((opts.latencyMs * SAMPLE_RATE) / 1000);
    this.listenOnly = opts.listenOnly || !engine.hasMic;
    this.muted = false;
    /** Without headphones the server keeps this singer in the last bucket (headphones=0). */
    this.noHeadphones = Boolean(opts.noHeadphones);
    this.offsetSeconds = DEFAULT_OFFSET_SECONDS;
    this.newOffset = null;
    /** Sent on every request: the operators' admin token, and "hear the solo mix". */
    this.adminToken = opts.adminToken || '';
    /** Session credential from the server's reply to our reset, echoed on every exchange ('new' asks for one). */
    this.sessionToken = 'new';
    this.hearSolos = false;
    /** This singer's own backing level (friendly 0–2), re-sent on every connection's first request. */
    this.userBackingVolume = null;
    this.room = new RoomModel(this.userid);
    /** Decoded replies, for whoever observes them (nobody in production). */
    this.received = opts.received || new Observers();
    /**
     * {id, kind: 'refused', area, keys, serverMessage, withToken} or
     * {id, kind: 'ok', area: 'console', applied: [{key, value}]}, newest last.
     */
    this.notices = [];
    this.noticeId = 0;
    this.stats = {
      /** 'idle' | 'connecting' | 'reconnecting' | 'moving' | 'connected' | 'offline' | 'error' */
      state: 'idle',
      /** The current problem (a SessionError) while offline or in error, and the last one seen. */
      problem: null,
      lastProblem: null,
      /** Seconds until the next attempt while waiting to retry; the bucket being moved to. */
      retryInS: 0,
      movingTo: null,
      requests: 0,
      ok: 0,
      errors: 0,
      reconnects: 0,
      reanchors: 0,
      refusals: 0,
      /** Pushes taken from the WebSocket (summaries and chat lines). */
      pushes: 0,
      readClock: null,
      writeClock: null,
      serverClock: null,
      delaySeconds: null,
      bucket: null,
      offsetSeconds: this.offsetSeconds,
      latencyMs: opts.latencyMs,
      uploading: false,
      underruns: 0,
      driftMs: null,
      userid: this.userid,
    };
    this.stopped = false;
    if ('onPush' in transport) transport.onPush = (p) => this.onPush(p);
    this.conn = null;
    this.reconnectNow = null;
    /**
     * The clock of the connection that the next one re-anchors (clock-drift.js): the new one is
     * due when the old one's next exchange was, and goes on with its pipeline.
     */
    this.reanchor = null;
    /** The codec pipeline the microphone feeds: the connection's, kept through a re-anchor. */
    this.pipeline = null;
    this.offMic = engine.mic.add((frame, buf) => this.pipeline?.capture(frame, buf));
  }

  // The room, as the UI reads it.
  get users() {
    return this.room.users;
  }
  get leader() {
    return this.room.leader;
  }
  get isLeader() {
    return this.room.isLeader;
  }
  get songState() {
    return this.room.songState;
  }
  get songStart() {
    return this.room.songStart;
  }
  get songEnd() {
    return this.room.songEnd;
  }
  get chats() {
    return this.room.chats;
  }
  get firstBucket() {
    return this.room.firstBucket;
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
        const problem = SessionError.from(err);
        this.stats.errors++;
        this.stats.lastProblem = problem;
        const wait = failureWaitMs(backoff);
        backoff = Math.min(BACKOFF_MAX_MS, backoff * 2);
        if (this.conn && this.conn.clock.accepted > 0) backoff = BACKOFF_FIRST_MS * 2;
        this.reanchor = null; // after a failure, a plain new connection
        this.closeConnection();
        await this.waitRetry(problem, wait);
      }
    }
    this.reanchor = null;
    this.closeConnection();
  }

  /** Counts down `ms` before the next attempt. */
  async waitRetry(problem, ms) {
    const until = performance.now() + ms;
    for (;;) {
      const left = until - performance.now();
      if (left <= 0 || this.stopped) break;
      this.setState(problem.network ? 'offline' : 'error', { problem, retryInS: Math.ceil(left / 1000) });
      await sleep(Math.min(left, 250));
    }
  }

  setState(state, { problem = null, retryInS = 0, movingTo = null } = {}) {
    const s = this.stats;
    if (s.state === state && s.problem === problem && s.retryInS === retryInS && s.movingTo === movingTo) return;
    Object.assign(s, { state, problem, retryInS, movingTo });
    this.onChange();
  }

  stop() {
    this.stopped = true;
    this.offMic();
  }

  // Controls: queued in the room model's outbox for the next exchange.
  flag(name) {
    this.room.flag(name);
  }
  setParams(params) {
    this.room.setParams(params);
  }
  startSong(track) {
    this.room.startSong(track);
  }
  applyRounds(bpm, repeats, bpr) {
    this.room.applyRounds(bpm, repeats, bpr);
  }
  setMicVolume(userid, value) {
    this.room.setMicVolume(userid, value);
  }
  provideLyrics(text) {
    this.room.provideLyrics(text);
  }
  setSolo(userid, on) {
    this.room.setSolo(userid, on);
  }

  setUserBackingVolume(value) {
    this.userBackingVolume = value;
    this.room.setParams({ user_backing_volume: value });
  }

  setHearSolos(on) {
    this.hearSolos = on;
    if (on) this.flag('begin_monitor');
    this.onChange();
  }

  setAdminToken(token) {
    this.adminToken = token;
    this.onChange();
  }

  sendChat(text) {
    this.room.sendChat(this.name, text);
    this.onChange();
  }

  setMuted(on) {
    this.muted = on;
    if (this.conn) this.conn.pipeline.muted = on;
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

  /** Moves this singer to `seconds` behind the server (a bucket chosen before a song). */
  chooseOffset(seconds) {
    if (seconds !== this.offsetSeconds) this.newOffset = seconds;
  }

  bucketForOffset(seconds = this.offsetSeconds) {
    return bucketOf(seconds, this.room.firstBucket);
  }

  /** Uploads a backing track through the transport, with the admin token when there is one. */
  upload(file) {
    return this.transport.upload(file, { adminToken: this.adminToken });
  }

  /** The server clock of the audio playing right now, or null before playback starts. */
  playingClock() {
    return this.conn ? this.conn.clock.playingClock(this.engine.nowFrame()) : null;
  }

  async connect() {
    this.setState(this.stats.ok > 0 ? 'reconnecting' : 'connecting');
    const reanchor = this.reanchor;
    this.reanchor = null;
    try {
      await this.open(reanchor);
    } catch (err) {
      this.dropPipeline(); // a re-anchor's, which no connection took
      throw err;
    }
  }

  /** Asks the server's clock and sets up the connection (`reanchor`: the clock of the one it re-anchors, or null). */
  async open(reanchor) {
    const { serverClock, sampleRate, rttMs } = await this.transport.clock();
    if (!Number.isInteger(serverClock) || sampleRate !== SAMPLE_RATE) throw new SessionError('bad-clock');
    const nowFrame = this.engine.nowFrame();
    // When the first exchange goes: see reconnect.js.
    const spread = reanchor ? reanchorSpreadSamples(reanchor.dueFrame(BATCH_SAMPLES), nowFrame) : connectSpreadSamples();
    const upload = !this.listenOnly;
    const clock = ConnectionClock.fromClockReply({
      serverClock,
      rttMs,
      nowFrame,
      spread,
      offsetSeconds: this.offsetSeconds,
      latencySamples: this.latencySamples,
    });
    // A re-anchor goes on seamlessly with the old connection's pipeline: its queued audio plays
    // out, the warm decoder takes the same shared stream on, the encoder's waiting packets go up.
    let pipeline = reanchor ? this.pipeline : null;
    const shift = pipeline?.uploads === upload ? clock.continueFrom(reanchor) : null;
    if (shift === null) {
      this.dropPipeline();
      this.engine.flush();
      pipeline = new AudioPipeline(this.engine, { upload, received: this.received });
    }
    this.pipeline = pipeline;
    this.conn = {
      clock,
      pipeline,
      /** Whether the next exchange asks the server for fresh codecs and clocks. */
      reset: shift !== 0,
      /** This connection's reads against the server clock (see clock-drift.js). */
      drift: new DriftWatch(),
    };
    this.conn.pipeline.muted = this.muted;
    if (this.userBackingVolume !== null) this.room.setParams({ user_backing_volume: this.userBackingVolume });
    Object.assign(this.stats, { offsetSeconds: this.offsetSeconds, readClock: null, writeClock: null, uploading: false });
  }

  closeConnection() {
    this.conn = null;
    if (this.reanchor) return; // the next connection goes on with its pipeline and audio
    this.dropPipeline();
    this.engine.flush();
  }

  dropPipeline() {
    this.pipeline?.close();
    this.pipeline = null;
  }

  async exchangeLoop() {
    const c = this.conn;
    let reconnect = false;
    this.reconnectNow = () => {
      reconnect = true;
    };
    while (!this.stopped && !reconnect && this.conn === c) {
      const packets = this.nextPackets(c);
      if (!packets) {
        await sleep(20);
        continue;
      }
      const waitMs = ((c.clock.dueFrame(BATCH_SAMPLES) - this.engine.nowFrame()) * 1000) / SAMPLE_RATE;
      if (waitMs > 0) {
        await sleep(Math.min(waitMs, 100));
        continue;
      }
      c.pipeline.take(packets.length);
      await this.exchange(c, packets, BATCH_SAMPLES);
      if (this.newOffset !== null) {
        this.offsetSeconds = this.newOffset;
        this.newOffset = null;
        this.setState('moving', { movingTo: this.bucketForOffset() });
        reconnect = true;
      }
    }
    this.reconnectNow = null;
    this.closeConnection();
  }

  /**
   * The next exchange's packets: read-only until the encoder holds a whole batch; once uploading,
   * exactly BATCH_PACKETS packets, or null while the microphone is behind.
   */
  nextPackets(c) {
    if (c.pipeline.hasPackets(BATCH_PACKETS)) return c.pipeline.peekPackets(BATCH_PACKETS);
    return c.clock.writeEnd === null ? NO_PACKETS : null;
  }

  async exchange(c, packets, n) {
    const readClock = c.clock.nextReadClock(n);
    const writeClock = packets.length ? c.clock.nextWriteClock(n) : null;
    let outbox = this.room.takeOutbox();
    let res = await this.post(c, { readClock, writeClock, n, packets, outbox });
    if (res.status === 403 || res.status === 409) {
      // Nothing of the request was applied and the server reset our codec pair: say what was
      // refused, and ask again for the same interval without the room-wide controls.
      outbox = this.refuse(outbox, res.message);
      c.reset = true;
      res = await this.post(c, { readClock, writeClock, n, packets, outbox });
    }
    if (res.status !== 200) {
      this.room.returnChats(outbox.chats);
      throw new SessionError('server', res.message);
    }
    let reply;
    try {
      reply = parseAudioReply(res.metadataHeader, res.bytes);
    } catch (err) {
      throw new SessionError('bad-reply', err.message);
    }
    const m = reply.metadata;
    if (typeof m.session_token === 'string') this.sessionToken = m.session_token;
    if (m.client_read_clock !== readClock || m.n_samples !== n || reply.packets.length !== n / FRAME_SAMPLES) {
      throw new SessionError('wrong-interval');
    }
    c.clock.accept(readClock, writeClock, n);
    c.reset = false;
    const pcm = await c.pipeline.decode(reply.packets);
    if (this.conn !== c) return;
    const first = c.clock.playStart === null;
    const frame = c.clock.schedule(this.engine.nowFrame(), pcm.length);
    if (first) {
      this.engine.expectFrom(c.clock.playStart);
      c.pipeline.startCapture(c.clock.captureFrom);
    }
    c.pipeline.play(frame, pcm, readClock - n);
    // A reply to an exchange that did not ask for the summary (it comes pushed) lists nobody.
    this.afterReply(c, m, 'user_summary_version' in m ? reply.users : null, outbox, readClock);
  }

  /** Book-keeping after a reply: the room, confirmations, drift and stats. */
  afterReply(c, m, users, outbox, readClock) {
    this.stats.ok++;
    const delay = this.room.apply(m, users, performance.now());
    if (delay !== null && delay !== this.offsetSeconds) this.newOffset = delay;
    const applied = this.room.confirm(outbox.params, m);
    if (applied.length) this.notice({ kind: 'ok', area: 'console', applied });
    const s = this.stats;
    s.delaySeconds = this.room.myDelaySeconds() ?? this.offsetSeconds;
    s.bucket = bucketOf(s.delaySeconds, this.room.firstBucket);
    s.readClock = readClock;
    s.writeClock = c.clock.writeEnd;
    s.serverClock = m.server_clock;
    if (Number.isInteger(m.server_clock) && c.drift.observe(m.server_clock - readClock) && this.newOffset === null) {
      // The device clock drifted half a frame from the server's: rejoin at exactly our delay.
      s.reanchors++;
      this.reanchor = c.clock;
      this.requestReconnect();
    }
    s.driftMs = c.drift.drift === null ? null : (c.drift.drift * 1000) / SAMPLE_RATE;
    s.underruns = this.engine.underruns;
    s.uploading = c.clock.writeEnd !== null;
    if (s.state !== 'connected') this.setState('connected');
    this.onChange();
  }

  /** A server push (WebSocket): the summary or chat lines, shown at once. */
  onPush(p) {
    if (this.stopped || !this.room.applyPush(p, performance.now())) return;
    this.stats.pushes++;
    this.onChange();
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
      summary: !this.transport.pushes,
      summaryVersion: this.room.summaryVersionToSend(performance.now()),
      sessionToken: this.sessionToken,
    });
    this.stats.requests++;
    try {
      return await this.transport.exchange(query, body);
    } catch (err) {
      this.room.returnChats(outbox.chats);
      throw err;
    }
  }

  /** Records a refusal and returns the outbox without the refused controls. */
  refuse(outbox, serverMessage) {
    const { outbox: rest, refusal } = this.room.refuse(outbox);
    this.notice({ kind: 'refused', ...refusal, serverMessage, withToken: Boolean(this.adminToken) });
    this.stats.refusals++;
    this.onChange();
    return rest;
  }

  notice(n) {
    this.notices.push({ id: ++this.noticeId, ...n });
    if (this.notices.length > MAX_NOTICES) this.notices.splice(0, this.notices.length - MAX_NOTICES);
  }
}
