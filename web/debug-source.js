// brigade operators' chart: where the debug state comes from. By default the debug stream
// (…/api/debug/stream?compact=1, a WebSocket on which the server pushes the state at up to
// 10 Hz); polling GET …/api/debug/state?compact=1 at 5 Hz when the stream cannot open while
// HTTP reaches the server (a proxy that does not pass WebSockets), or when it drops MAX_DROPS
// times without MIN_STATES_BETWEEN_DROPS states in between. Either way every state goes to the
// one `onState(json)`; `kind` says which feeds the chart ('stream' or 'poll'), `why` why polling.
// The stream is asked for deltas (?delta=1): the page applies each to the state before it.
// ?source=poll in the page's address forces polling.

/** Polling period (5 Hz). */
export const POLL_MS = 200;
/** Drops of an open stream before the chart settles on polling. */
export const MAX_DROPS = 3;
/** States received that make a later drop count as a first one again. */
const MIN_STATES_BETWEEN_DROPS = 50;
/** Time allowed for the upgrade. */
const OPEN_TIMEOUT_MS = 5000;
/** An open stream that sends nothing this long is closed (and counts as a drop): the server
 * sends a state every 100 ms, as its clock always moves. */
const STALL_MS = 5000;
/** Pause before reopening a dropped stream, or retrying one while the server is unreachable. */
const RETRY_MS = 1000;

/** ws(s)://… for an http(s)://… URL. */
const wsUrl = (httpUrl) => httpUrl.replace(/^http/, 'ws');

/** An HTTP answer that is not 200: the server was reached. */
class HttpStatusError extends Error {
  constructor(status) {
    super(
      status === 401 || status === 403
        ? `HTTP ${status}: this server is private; open debug.html?token=OPERATOR_TOKEN`
        : `HTTP ${status}`,
    );
    this.status = status;
  }
}

export class DebugSource {
  /**
   * `stateUrl`, `streamUrl`: absolute http(s) URLs of the room's /api/debug/state and
   * /api/debug/stream; `token`: the operator's token or ''; `mode`: 'stream' or 'poll';
   * `onState(json)`: each state, parsed; `onStatus(cls, text)`: on every change of health
   * (cls: 'connected', 'connecting' or 'error').
   */
  constructor({ stateUrl, streamUrl, token, mode = 'stream', onState, onStatus }) {
    this.stateUrl = `${stateUrl}?compact=1`;
    this.streamUrl = `${wsUrl(streamUrl)}?compact=1&delta=1${token ? `&token=${encodeURIComponent(token)}` : ''}`;
    this.headers = token ? { 'X-Operator-Token': token } : {};
    this.onState = onState;
    this.onStatus = onStatus;
    const available = typeof WebSocket !== 'undefined';
    this.kind = mode === 'poll' || !available ? 'poll' : 'stream';
    this.why = mode === 'poll' ? 'chosen in the address' : available ? '' : 'no WebSocket in this browser';
    this.paused = false;
    this.live = false; // the last status said "Live"
    this.socket = null;
    this.opened = false;
    this.drops = 0;
    this.statesSinceDrop = 0;
    this.lastMessage = 0;
    this.openTimer = 0;
    this.stallTimer = 0;
    // Bound once: nothing is made per state but the parsed JSON itself.
    this.handleOpen = this.handleOpen.bind(this);
    this.handleMessage = this.handleMessage.bind(this);
    this.handleClose = this.handleClose.bind(this);
    this.checkStall = this.checkStall.bind(this);
    this.poll = this.poll.bind(this);
    this.openStream = this.openStream.bind(this);
  }

  start() {
    if (this.kind === 'stream') this.openStream();
    else this.poll();
  }

  /** While paused, polling idles; the stream's states are still handed on (its deltas build on
   * each other), and the page keeps its view. */
  pause(on) {
    this.paused = on;
    this.live = false;
    if (on) this.onStatus('connecting', 'Paused');
  }

  /** One state over HTTP, parsed; throws an HttpStatusError when the server answers otherwise. */
  async fetchOnce() {
    const r = await fetch(this.stateUrl, { cache: 'no-store', headers: this.headers });
    if (!r.ok) throw new HttpStatusError(r.status);
    return r.json();
  }

  deliver(json) {
    if (!this.live && !this.paused) {
      this.live = true;
      this.onStatus('connected', this.kind === 'stream' ? 'Live · up to 10 Hz' : `Live · ${(1000 / POLL_MS).toFixed(0)} Hz`);
    }
    this.onState(json);
  }

  fail(text) {
    this.live = false;
    this.onStatus('error', text);
  }

  // ---- polling

  async poll() {
    const started = performance.now();
    if (!this.paused) {
      try {
        const json = await this.fetchOnce();
        if (!this.paused) this.deliver(json); // paused while in flight: keep the frozen view
      } catch (e) {
        this.fail(`Server unreachable (${e.message}); retrying`);
      }
    }
    setTimeout(this.poll, Math.max(0, POLL_MS - (performance.now() - started)));
  }

  usePolling(why) {
    this.kind = 'poll';
    this.why = why;
    this.live = false;
    this.poll();
  }

  // ---- the stream

  openStream() {
    let s;
    try {
      s = new WebSocket(this.streamUrl);
    } catch {
      return this.usePolling('the stream could not open'); // e.g. refused by a content policy
    }
    this.socket = s;
    this.opened = false;
    this.openTimer = setTimeout(() => s.close(), OPEN_TIMEOUT_MS);
    s.onopen = this.handleOpen;
    s.onmessage = this.handleMessage;
    s.onclose = this.handleClose;
  }

  handleOpen() {
    clearTimeout(this.openTimer);
    this.opened = true;
    this.lastMessage = performance.now();
    this.stallTimer = setInterval(this.checkStall, RETRY_MS);
  }

  handleMessage(e) {
    this.lastMessage = performance.now();
    if (++this.statesSinceDrop >= MIN_STATES_BETWEEN_DROPS) this.drops = 0;
    if (typeof e.data !== 'string') return;
    let json;
    try {
      json = JSON.parse(e.data);
    } catch {
      return this.fail('The stream sent a malformed state');
    }
    this.deliver(json);
  }

  checkStall() {
    if (this.socket && performance.now() - this.lastMessage > STALL_MS) this.socket.close();
  }

  handleClose(e) {
    if (e.target !== this.socket) return;
    clearTimeout(this.openTimer);
    clearInterval(this.stallTimer);
    this.socket = null;
    if (this.opened) this.dropped();
    else this.openFailed();
  }

  /** The upgrade failed: polling, if HTTP reaches the server; else the server is down: retry. */
  async openFailed() {
    try {
      await this.fetchOnce();
    } catch (e) {
      if (!(e instanceof HttpStatusError)) {
        this.fail(`Server unreachable (${e.message}); retrying`);
        setTimeout(this.openStream, RETRY_MS);
        return;
      }
    }
    this.usePolling('the stream could not open'); // a refusal (401, 403) is reported by polling
  }

  dropped() {
    this.statesSinceDrop = 0;
    if (++this.drops >= MAX_DROPS) return this.usePolling(`the stream dropped ${this.drops} times`);
    this.live = false;
    this.onStatus('connecting', 'Stream dropped; reopening');
    setTimeout(this.openStream, RETRY_MS);
  }
}
