// brigade singer page: the join flow (name → microphone → latency → chain) and the chain view.

import { N_BUCKETS, SAMPLE_RATE, toneAmplitude, rmsOf } from './protocol.js';
import { opusProblem } from './codec.js';
import { AudioEngine } from './audio-engine.js';
import { calibrate, savedLatencyMs, saveLatencyMs } from './calibration.js';
import { Session } from './session.js';

/** The API lives on the page's own origin. */
const API_URL = new URL('/api', document.baseURI).href;
/** Tones reported in stats.tones, and over how many seconds. */
const STAT_TONES = [220, 330, 440, 550, 660, 880];
const TONE_SECONDS = 2;
/** Redraw period for meters and stats. */
const UI_TICK_MS = 100;
const NAME_KEY = 'brigade.name';

const $ = (id) => document.getElementById(id);
const engine = new AudioEngine();
let session = null;
let latencyMs = savedLatencyMs();
let listenOnly = false;

const stats = {
  state: 'idle',
  message: '',
  step: 'name',
  requests: 0,
  ok: 0,
  errors: 0,
  lastError: '',
  shownError: '',
  readClock: null,
  writeClock: null,
  bucket: null,
  delaySeconds: null,
  tones: { received: {}, mic: {} },
};

/** Goertzel amplitude of `freqHz` over the last `seconds` of 'received' (decoded) or 'mic' audio. */
function measureTone(freqHz, { source = 'received', seconds = TONE_SECONDS } = {}) {
  const samples = historyOf(source).latest(Math.round(seconds * SAMPLE_RATE));
  return toneAmplitude(samples, freqHz);
}

function historyOf(source) {
  if (source === 'mic') return engine.micHistory;
  if (source === 'received' && session) return session.receivedHistory;
  return { latest: () => new Float32Array(0) };
}

window.brigade = { stats, measureTone, engine, get session() { return session; } };

function show(step) {
  for (const s of ['name', 'mic', 'latency', 'chain']) $(`step-${s}`).hidden = s !== step;
  stats.step = step;
  const first = $(`step-${step}`).querySelector('h1, h2, h3');
  if (first) {
    first.tabIndex = -1;
    first.focus();
  }
}

function showError(el, text) {
  el.textContent = text;
  el.hidden = !text;
  if (text) stats.shownError = text;
}

// Step 1: name.
async function initNameStep() {
  $('name').value = sessionStorage.getItem(NAME_KEY) || '';
  const problem = await opusProblem();
  if (problem) {
    showError($('support-error'), problem);
    $('name-next').disabled = true;
    return;
  }
  $('name-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const name = $('name').value.trim();
    if (!name) return;
    sessionStorage.setItem(NAME_KEY, name);
    listenOnly = $('listen-only-join').checked;
    if (listenOnly) {
      $('mic-intro').textContent = 'You chose to listen only. Check that you can hear the test sound.';
      $('mic-allow').textContent = 'Start audio';
      $('mic-meter-fill').closest('.meter-row').hidden = true;
    }
    show('mic');
  });
}

// Step 2: microphone and output test.
function initMicStep() {
  $('mic-allow').addEventListener('click', async () => {
    showError($('mic-error'), '');
    $('mic-allow').disabled = true;
    try {
      await engine.start({ listenOnly });
      $('mic-allow').hidden = true;
      $('mic-check').hidden = false;
      $('mic-next').focus();
    } catch (err) {
      $('mic-allow').disabled = false;
      const denied = err.name === 'NotAllowedError' || err.name === 'SecurityError';
      showError(
        $('mic-error'),
        denied
          ? 'The microphone was blocked. Allow it in the address bar’s site settings, then try again — or go back and choose “Listen only”.'
          : `Could not start audio: ${err.message}`,
      );
    }
  });
  $('chime').addEventListener('click', () => engine.chime());
  $('mic-next').addEventListener('click', () => {
    if (listenOnly) join(0);
    else show('latency');
  });
}

// Step 3: latency.
function setLatency(ms, text) {
  latencyMs = ms;
  saveLatencyMs(ms);
  $('calibrate-result').textContent = text;
  $('join').disabled = false;
}

function initLatencyStep() {
  if (latencyMs !== null) {
    $('calibrate-result').textContent = `Using your latency from earlier: ${latencyMs.toFixed(0)} ms. You can measure again.`;
    $('manual-latency').value = String(Math.round(latencyMs));
    $('join').disabled = false;
  }
  $('calibrate').addEventListener('click', async () => {
    $('calibrate').disabled = true;
    const bar = $('calibrate-progress');
    bar.hidden = false;
    $('calibrate-result').textContent = 'Listening for clicks…';
    const r = await calibrate(engine, (i, n) => {
      bar.value = i;
      bar.max = n;
    });
    bar.hidden = true;
    $('calibrate').disabled = false;
    $('calibrate').textContent = 'Calibrate again';
    if (r.ok) {
      setLatency(r.medianMs, r.message);
      $('manual-latency').value = String(Math.round(r.medianMs));
    } else {
      $('calibrate-result').textContent = r.message;
      $('manual-latency-box').open = true;
    }
  });
  $('manual-latency-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const ms = Number.parseFloat($('manual-latency').value);
    if (!Number.isFinite(ms) || ms < 0 || ms > 1000) {
      $('calibrate-result').textContent = 'Please enter a number of milliseconds between 0 and 1000.';
      return;
    }
    setLatency(ms, `Using ${ms.toFixed(0)} ms, entered by hand.`);
  });
  $('join').addEventListener('click', () => join(latencyMs));
}

// Step 4: the chain.
function join(ms) {
  session = new Session(engine, { apiUrl: API_URL, name: sessionStorage.getItem(NAME_KEY), latencyMs: ms, listenOnly }, render);
  $('you-name').textContent = session.name;
  $('you-latency').textContent = session.listenOnly ? 'listening' : `${Math.round(ms)} ms`;
  show('chain');
  render();
  session.run();
}

function initChain() {
  $('lead').addEventListener('click', () => session.flag('request_lead'));
  $('start-singing').addEventListener('click', () => session.flag('mark_start_singing'));
  $('stop-singing').addEventListener('click', () => session.flag('mark_stop_singing'));
  $('mute').addEventListener('click', () => session.setMuted(!session.muted));
  $('listen-only').addEventListener('click', () => session.setListenOnly(!session.listenOnly));
  $('chat-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const text = $('chat-input').value.trim();
    if (!text) return;
    session.sendChat(text);
    $('chat-input').value = '';
  });
}

const STATE_LABELS = {
  idle: 'Not connected',
  connecting: 'Connecting…',
  reconnecting: 'Reconnecting…',
  connected: 'Connected',
  offline: 'Server unreachable',
  error: 'Connection problem',
};

function renderStatus(s) {
  const pill = $('conn-pill');
  pill.textContent = STATE_LABELS[s.state] || s.state;
  pill.className = `pill ${s.state}`;
  const banner = $('status-banner');
  const bad = s.state === 'offline' || s.state === 'error';
  banner.hidden = !s.message;
  banner.textContent = s.message;
  banner.className = `banner ${bad ? 'error' : 'warn'}`;
  document.querySelector('#step-chain .grid').classList.toggle('stale', s.state !== 'connected');
  if (bad) stats.shownError = s.message;
}

function renderSong() {
  const st = session.songState;
  const leaderUser = session.users.find((u) => u.id === session.leader);
  const leaderName = session.isLeader ? 'You' : leaderUser ? leaderUser.name : null;
  let text = 'No song yet. Anyone can lead one.';
  if (leaderName && st !== 'singing') text = `${leaderName} ${session.isLeader ? 'are' : 'is'} leading; waiting to start.`;
  if (st === 'singing') text = leaderName ? `Singing — led by ${leaderName === 'You' ? 'you' : leaderName}.` : 'Singing.';
  if (st === 'ended' && !leaderName) text = 'The song has ended.';
  $('song-state').textContent = text;
  $('lead').hidden = session.isLeader;
  $('lead').textContent = session.leader && !session.isLeader ? 'Take the lead' : 'Lead a song';
  $('start-singing').hidden = !(session.isLeader && st !== 'singing');
  $('stop-singing').hidden = !(session.isLeader && st === 'singing');
}

function renderBuckets() {
  const list = $('buckets');
  list.replaceChildren();
  for (let b = 0; b < N_BUCKETS; b++) {
    const li = document.createElement('li');
    li.className = 'bucket';
    li.style.setProperty('--c', `var(--bucket-${b})`);
    if (session.stats.bucket === b) li.classList.add('mine');
    const h = document.createElement('h4');
    h.textContent = b === 0 ? 'Bucket 1 · lead' : `Bucket ${b + 1}`;
    const ul = document.createElement('ul');
    const members = session.users.filter((u) => u.bucket === b);
    for (const u of members) {
      const item = document.createElement('li');
      item.textContent = u.id === session.userid ? `${u.name} (you)` : u.name;
      item.title = `${u.name}, ${u.delaySeconds} s behind`;
      ul.append(item);
    }
    if (!members.length) {
      const item = document.createElement('li');
      item.className = 'empty';
      item.textContent = 'empty';
      ul.append(item);
    }
    li.append(h, ul);
    list.append(li);
  }
}

function renderSingers() {
  const list = $('singers');
  list.replaceChildren();
  $('singer-count').textContent = session.users.length ? `(${session.users.length})` : '';
  for (const u of session.users) {
    const li = document.createElement('li');
    const name = document.createElement('span');
    name.className = 'singer-name';
    name.textContent = u.id === session.userid ? `${u.name} (you)` : u.name;
    const tags = [];
    if (u.id === session.leader) tags.push(['lead', 'leader']);
    if (u.muted) tags.push(['', 'muted']);
    tags.push(['', `bucket ${u.bucket + 1}`]);
    for (const [cls, label] of tags) {
      const t = document.createElement('span');
      t.className = `tag ${cls}`;
      t.textContent = label;
      name.append(t);
    }
    const level = document.createElement('div');
    level.className = 'level';
    level.setAttribute('role', 'meter');
    level.setAttribute('aria-label', `${u.name} level`);
    const pct = levelPercent(u.rms);
    level.setAttribute('aria-valuenow', String(pct));
    const fill = document.createElement('div');
    fill.style.width = `${pct}%`;
    level.append(fill);
    li.append(name, level);
    list.append(li);
  }
}

let renderedChats = 0;
function renderChat() {
  const log = $('chat-log');
  if (session.chats.length === 0) {
    if (!log.children.length) {
      const li = document.createElement('li');
      li.className = 'empty';
      li.textContent = 'No messages yet.';
      log.append(li);
    }
    return;
  }
  if (renderedChats === 0) log.replaceChildren();
  if (renderedChats > session.chats.length) renderedChats = 0;
  for (const c of session.chats.slice(renderedChats)) {
    const li = document.createElement('li');
    if (c.own) li.className = 'own';
    const who = document.createElement('span');
    who.className = 'who';
    who.textContent = c.own ? 'You' : c.name;
    li.append(who, document.createTextNode(c.text));
    log.append(li);
  }
  renderedChats = session.chats.length;
  log.scrollTop = log.scrollHeight;
}

function render() {
  if (!session) return;
  const s = session.stats;
  Object.assign(stats, {
    state: s.state,
    message: s.message,
    requests: s.requests,
    ok: s.ok,
    errors: s.errors,
    lastError: s.lastError,
    readClock: s.readClock,
    writeClock: s.writeClock,
    bucket: s.bucket,
    delaySeconds: s.delaySeconds,
    uploading: s.uploading,
    underruns: s.underruns,
    userid: s.userid,
    leader: session.leader,
    isLeader: session.isLeader,
    song: session.songState,
    users: session.users.map((u) => ({ name: u.name, bucket: u.bucket, delaySeconds: u.delaySeconds })),
  });
  renderStatus(s);
  $('you-bucket').textContent = s.bucket === null ? '—' : `${s.bucket + 1} of ${N_BUCKETS}`;
  $('you-delay').textContent = s.delaySeconds === null ? '—' : `${s.delaySeconds} s`;
  $('mute').setAttribute('aria-pressed', String(session.muted));
  $('mute').textContent = session.muted ? 'Unmute' : 'Mute';
  $('mute').disabled = session.listenOnly;
  $('listen-only').setAttribute('aria-pressed', String(session.listenOnly));
  $('listen-only').disabled = !engine.hasMic;
  renderSong();
  renderBuckets();
  renderSingers();
  renderChat();
}

/** Level in percent on a 60 dB scale (0 % = -60 dBFS, 100 % = full scale). */
function levelPercent(value) {
  if (!(value > 0)) return 0;
  return Math.max(0, Math.min(100, Math.round(((20 * Math.log10(value) + 60) / 60) * 100)));
}

function setMeter(fillId, peak) {
  const pct = levelPercent(peak);
  const fill = $(fillId);
  fill.style.width = `${pct}%`;
  fill.parentElement.setAttribute('aria-valuenow', String(pct));
}

function tick() {
  if (engine.ctx) {
    const peak = session && (session.muted || session.listenOnly) ? 0 : engine.micPeak;
    setMeter('mic-meter-fill', engine.micPeak);
    setMeter('chain-meter-fill', peak);
    for (const f of STAT_TONES) {
      stats.tones.mic[f] = measureTone(f, { source: 'mic' });
      stats.tones.received[f] = measureTone(f, { source: 'received' });
    }
    stats.rms = {
      mic: rmsOf(engine.micHistory.latest(TONE_SECONDS * SAMPLE_RATE)),
      received: session ? rmsOf(session.receivedHistory.latest(TONE_SECONDS * SAMPLE_RATE)) : 0,
    };
  }
  if (session) stats.underruns = engine.underruns;
}

initNameStep();
initMicStep();
initLatencyStep();
initChain();
setInterval(tick, UI_TICK_MS);
