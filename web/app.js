// brigade singer page: the join flow (name → microphone → latency → chain) and the chain view.

import { N_BUCKETS, SAMPLE_RATE, MAX_UPLOAD_BYTES, MAX_LYRICS_CHARS, toneAmplitude, rmsOf } from './protocol.js';
import { opusProblem } from './codec.js';
import { AudioEngine } from './audio-engine.js';
import { calibrate, savedLatencyMs, saveLatencyMs } from './calibration.js';
import { Session } from './session.js';
import { prefs } from './prefs.js';
import { initDevices, showDevices, applyRememberedGain } from './devices-ui.js';
import { initSongCues, renderSongCues, tickSongCues, countInAndStart, cues } from './song-cues.js';

/** The API lives on the page's own origin. */
const API_URL = new URL('/api', document.baseURI).href;
const TRACKS_URL = new URL('/api/tracks', document.baseURI).href;
const UPLOAD_URL = new URL('/api/upload', document.baseURI).href;
/** Tones reported in stats.tones, and over how many seconds. */
const STAT_TONES = [220, 330, 440, 550, 660, 880];
const TONE_SECONDS = 2;
/** Redraw period for meters and stats. */
const UI_TICK_MS = 100;
/** The operators' admin token lives only as long as this tab. */
const ADMIN_KEY = 'brigade.adminToken';
const BACKING_TYPE_LABELS = { Metronome: 'metronome', 'Backing Track': 'backing track' };

const $ = (id) => document.getElementById(id);
const engine = new AudioEngine();
let session = null;
let latencyMs = savedLatencyMs();
let listenOnly = false;
let noHeadphones = false;

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
  $('name').value = prefs.name();
  const headphones = prefs.headphones();
  if (headphones !== null) document.querySelector(`input[name="headphones"][value="${headphones ? 'yes' : 'no'}"]`).checked = true;
  $('remembered').hidden = !prefs.any();
  $('forget-me').addEventListener('click', forgetMe);
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
    prefs.setName(name);
    noHeadphones = document.querySelector('input[name="headphones"]:checked').value === 'no';
    prefs.setHeadphones(!noHeadphones);
    listenOnly = $('listen-only-join').checked;
    if (listenOnly) listenOnlyMode();
    show('mic');
  });
}

// Step 2: microphone and output test.
/** Forgets everything stored on this device and starts over. */
function forgetMe() {
  prefs.forget();
  if (session) session.stop();
  window.location.reload();
}

function listenOnlyMode() {
  listenOnly = true;
  $('mic-intro').textContent = 'You chose to listen only. Check that you can hear the test sound.';
  $('mic-allow').textContent = 'Start audio';
  $('mic-meter-fill').closest('.meter-row').hidden = true;
  $('level-check').hidden = true;
}

function initMicStep() {
  initDevices(engine);
  $('mic-back').addEventListener('click', () => show('name'));
  $('mic-listen-instead').addEventListener('click', () => {
    listenOnlyMode();
    $('mic-way-back').hidden = true;
    $('mic-allow').click();
  });
  $('mic-allow').addEventListener('click', async () => {
    showError($('mic-error'), '');
    $('mic-way-back').hidden = true;
    $('mic-allow').disabled = true;
    try {
      await engine.start({ listenOnly });
      applyRememberedGain(engine);
      $('mic-allow').hidden = true;
      $('mic-check').hidden = false;
      await showDevices(engine);
      $('mic-next').focus();
    } catch (err) {
      $('mic-allow').disabled = false;
      const denied = err.name === 'NotAllowedError' || err.name === 'SecurityError';
      showError(
        $('mic-error'),
        denied
          ? 'The microphone was blocked. Allow it in the address bar’s site settings (the icon left of the address), then press “Allow microphone” again — or listen only.'
          : `Could not start audio: ${err.message}`,
      );
      $('mic-allow').textContent = 'Try again';
      $('mic-way-back').hidden = false;
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
      // Suggest a value and let the singer join with it (or type their own).
      setLatency(r.suggestedMs, `${r.message} For now we use ${r.suggestedMs} ms, so you can join; change it below if you know better.`);
      $('manual-latency').value = String(r.suggestedMs);
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
  const adminToken = sessionStorage.getItem(ADMIN_KEY) || '';
  // ?transport=http forces HTTP (the default is a WebSocket with HTTP as the fallback).
  const transport = new URLSearchParams(location.search).get('transport') === 'http' ? 'http' : 'ws';
  session = new Session(engine, { apiUrl: API_URL, name: prefs.name() || $('name').value.trim(), latencyMs: ms, listenOnly, adminToken, noHeadphones, transport }, render);
  $('you-name').textContent = session.name;
  $('rename').value = session.name;
  $('you-latency').textContent = session.listenOnly ? 'listening' : `${Math.round(ms)} ms`;
  show('chain');
  render();
  session.run();
}

function initChain() {
  $('start-singing').addEventListener('click', () => {
    const track = $('track-select').value;
    if (track && session.room.bpm > 0) {
      showNotice($('song-notice'), 'refused', `The metronome (${session.room.bpm} beats per minute) plays instead of “${track}”. Set beats per minute to 0 and Apply to hear the track.`);
    }
    countInAndStart(track);
  });
  $('speakers-mute').addEventListener('click', () => {
    const on = $('speakers-mute').getAttribute('aria-pressed') !== 'true';
    engine.setSpeakersMuted(on);
    $('speakers-mute').setAttribute('aria-pressed', String(on));
    $('speakers-mute').textContent = on ? 'Unmute speakers' : 'Mute speakers';
  });
  $('forget-me-chain').addEventListener('click', forgetMe);
  $('rename-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const name = $('rename').value.trim();
    if (!name) return;
    session.name = name;
    prefs.setName(name);
    $('you-name').textContent = name;
  });
  $('bucket-choice').addEventListener('change', () => {
    const offset = Number($('bucket-choice').value);
    if (Number.isFinite(offset) && offset > 0) session.chooseOffset(offset);
  });
  initSongCues(engine, () => session);
  $('stop-singing').addEventListener('click', () => session.flag('mark_stop_singing'));
  $('mute').addEventListener('click', () => session.setMuted(!session.muted));
  $('listen-only').addEventListener('click', () => session.setListenOnly(!session.listenOnly));
  $('my-backing').addEventListener('input', () => {
    $('my-backing-value').textContent = Number($('my-backing').value).toFixed(2);
  });
  $('my-backing').addEventListener('change', () => session.setUserBackingVolume(Number($('my-backing').value)));
  $('chat-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const text = $('chat-input').value.trim();
    if (!text) return;
    session.sendChat(text);
    $('chat-input').value = '';
  });
  initSongSetup();
  initLyrics();
  initConsole();
}

// Leader's song setup: backing track, upload, metronome and rounds.
let tracks = [];
let tracksFetched = false;

async function refreshTracks() {
  try {
    const res = await fetch(TRACKS_URL, { cache: 'no-store' });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    const data = await res.json();
    if (Array.isArray(data.tracks)) tracks = data.tracks.map(String);
    tracksFetched = true;
  } catch (err) {
    showNotice($('upload-status'), 'refused', `Could not load the list of backing tracks (${err.message}).`);
  }
  renderTracks();
}

function renderTracks() {
  const select = $('track-select');
  const list = tracksFetched ? tracks : session ? session.room.tracks : [];
  const have = Array.from(select.options).slice(1).map((o) => o.value);
  if (have.length === list.length && have.every((t, i) => t === list[i])) return;
  const chosen = select.value;
  const none = select.options[0];
  select.replaceChildren(none);
  for (const t of list) select.append(new Option(t, t));
  select.value = list.includes(chosen) ? chosen : '';
}

async function uploadTrack(file) {
  const status = $('upload-status');
  if (file.size > MAX_UPLOAD_BYTES) {
    showNotice(status, 'refused', `“${file.name}” is larger than 32 MB; please use a shorter or mono file.`);
    return;
  }
  $('track-upload').disabled = true;
  showNotice(status, 'info', `Uploading “${file.name}”…`);
  try {
    let res;
    try {
      // With --admin-token, uploads are an operator's action too.
      // The server recognises the format from the file's first bytes, not from this header.
      const headers = { 'Content-Type': file.type || 'application/octet-stream' };
      const token = sessionStorage.getItem(ADMIN_KEY);
      if (token) headers['X-Admin-Token'] = token;
      res = await fetch(UPLOAD_URL, { method: 'POST', body: file, headers, cache: 'no-store' });
    } catch {
      showNotice(status, 'refused', 'Could not reach the server to upload. Check your connection and try again.');
      return;
    }
    let data = null;
    try {
      data = await res.json();
    } catch {
      // Not JSON: reported by status below.
    }
    if (!res.ok || !data || typeof data.track !== 'string') {
      const why = data && data.message ? data.message : `HTTP ${res.status}`;
      showNotice(status, 'refused', `The server did not accept “${file.name}”: ${why}.`);
      return;
    }
    if (Array.isArray(data.tracks)) tracks = data.tracks.map(String);
    tracksFetched = true;
    renderTracks();
    $('track-select').value = data.track;
    showNotice(status, 'ok', `Uploaded “${file.name}” as “${data.track}”, chosen for the next song.`);
  } finally {
    $('track-upload').disabled = false;
    $('track-file').value = '';
  }
}

function readInt(id, max) {
  const el = $(id);
  const v = Number(el.value || '0');
  if (!Number.isInteger(v) || v < 0 || v > max) {
    el.focus();
    return null;
  }
  return v;
}

function initSongSetup() {
  $('track-upload').addEventListener('click', () => $('track-file').click());
  $('track-select').addEventListener('change', () => {
    if ($('upload-status').classList.contains('ok')) showNotice($('upload-status'), 'ok', '');
  });
  $('track-file').addEventListener('change', () => {
    const file = $('track-file').files[0];
    if (file) uploadTrack(file);
  });
  $('rounds-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const bpm = readInt('bpm', 500);
    const repeats = readInt('repeats', 20);
    const bpr = readInt('bpr', 500);
    if (bpm === null || repeats === null || bpr === null) {
      $('rounds-status').textContent = 'Use whole numbers: beats per minute 0–500, rounds 0–20, beats per round 0–500.';
      return;
    }
    session.applyRounds(bpm, repeats, bpr);
    $('rounds-status').textContent = 'Sent; waiting for the server…';
    roundsSent = { bpm, repeats, bpr };
  });
}
/** The room's rounds settings last written into the inputs ("bpm/repeats/bpr"). */
let roundsShown = null;
let roundsSent = null;

function renderSongSetup() {
  const st = session.songState;
  const setup = $('song-setup');
  const visible = session.isLeader && st !== 'singing';
  if (visible && setup.hidden) refreshTracks();
  setup.hidden = !visible;
  renderTracks();
  const r = session.room;
  if (roundsSent && r.bpm === roundsSent.bpm && r.repeats === roundsSent.repeats && r.bpr === roundsSent.bpr) {
    roundsSent = null;
  }
  if (!roundsSent) {
    $('rounds-status').textContent = r.bpm > 0
      ? `Metronome at ${r.bpm} beats per minute${r.repeats > 0 && r.bpr > 0 ? `, ${r.repeats} rounds of ${r.bpr} beats` : ''}.`
      : 'No metronome.';
    // Show the room's values when they change, not on every render: a render between typing
    // one field and pressing Apply must not undo what the leader typed in another.
    const shown = `${r.bpm}/${r.repeats}/${r.bpr}`;
    if (shown !== roundsShown) {
      roundsShown = shown;
      for (const key of ['bpm', 'repeats', 'bpr']) if (document.activeElement !== $(key)) $(key).value = String(r[key]);
    }
  }
  const backing = $('backing-now');
  const type = BACKING_TYPE_LABELS[r.backingType];
  backing.hidden = !(type && st === 'singing');
  backing.textContent = r.backingType === 'Metronome' ? `Backing: metronome at ${r.bpm} beats per minute.` : `Backing: ${type}.`;
  showLatestNotice($('song-notice'), 'song');
}

// Lyrics: everyone sees them; the leader can provide them.
function initLyrics() {
  $('lyrics-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const text = $('lyrics-input').value.slice(0, MAX_LYRICS_CHARS);
    session.provideLyrics(text);
  });
}

function renderLyrics() {
  const lyrics = session.room.lyrics;
  $('lyrics-card').hidden = !(lyrics || session.isLeader);
  const shown = $('lyrics-text');
  if (shown.textContent !== lyrics) shown.textContent = lyrics;
  shown.hidden = !lyrics;
  $('lyrics-empty').hidden = Boolean(lyrics) || session.isLeader;
  $('lyrics-form').hidden = !session.isLeader;
}

// Operators' mixing console.
function initConsole() {
  const token = sessionStorage.getItem(ADMIN_KEY) || '';
  $('admin-token').value = token;
  renderAdminState(token);
  $('admin-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const value = $('admin-token').value.trim();
    if (value) sessionStorage.setItem(ADMIN_KEY, value);
    else sessionStorage.removeItem(ADMIN_KEY);
    if (session) session.setAdminToken(value);
    renderAdminState(value);
  });
  $('admin-forget').addEventListener('click', () => {
    sessionStorage.removeItem(ADMIN_KEY);
    $('admin-token').value = '';
    if (session) session.setAdminToken('');
    renderAdminState('');
  });
  for (const [id, param] of [['global-volume', 'volume'], ['backing-volume', 'backing_volume']]) {
    const slider = $(id);
    slider.addEventListener('input', () => {
      $(`${id}-value`).textContent = Number(slider.value).toFixed(2);
    });
    slider.addEventListener('change', () => session && session.setParams({ [param]: slider.value }));
  }
  $('auto-gain').addEventListener('change', () => session && session.setParams({ disableAutoGain: $('auto-gain').checked ? '0' : '1' }));
  $('hear-solos').addEventListener('click', () => session && session.setHearSolos(!session.hearSolos));
  $('halt-song').addEventListener('click', () => session && session.flag('mark_stop_singing'));
}

function renderAdminState(token) {
  $('admin-state').textContent = token ? 'Sent with every request from this tab.' : 'No token set.';
}

/** Shows a slider's server value unless the user is moving it. */
function syncSlider(id, value) {
  const slider = $(id);
  if (value === null || value === undefined || document.activeElement === slider) return;
  slider.value = String(value);
  $(`${id}-value`).textContent = Number(value).toFixed(2);
}

const channelRows = new Map();

function channelRow(u) {
  const li = document.createElement('li');
  const name = document.createElement('span');
  name.className = 'channel-name';
  const level = document.createElement('div');
  level.className = 'level';
  level.setAttribute('role', 'meter');
  level.append(document.createElement('div'));
  const slider = document.createElement('input');
  slider.type = 'range';
  slider.min = '0';
  slider.max = '2';
  slider.step = '0.05';
  slider.id = `mic-${u.id}`;
  const out = document.createElement('output');
  out.htmlFor = slider.id;
  slider.addEventListener('input', () => {
    out.textContent = Number(slider.value).toFixed(2);
  });
  slider.addEventListener('change', () => session.setMicVolume(u.id, Number(slider.value)));
  const solo = document.createElement('button');
  solo.type = 'button';
  solo.textContent = 'Solo';
  solo.addEventListener('click', () => {
    const on = solo.getAttribute('aria-pressed') !== 'true';
    solo.setAttribute('aria-pressed', String(on));
    session.setSolo(u.id, on);
  });
  li.append(name, level, slider, out, solo);
  return { li, name, level, slider, out, solo };
}

function renderConsole() {
  syncSlider('global-volume', session.room.globalVolume);
  syncSlider('backing-volume', session.room.backingVolume);
  $('hear-solos').setAttribute('aria-pressed', String(session.hearSolos));
  const list = $('channels');
  const ids = session.users.map((u) => u.id);
  for (const [id, row] of channelRows) {
    if (!ids.includes(id)) {
      row.li.remove();
      channelRows.delete(id);
    }
  }
  for (const u of session.users) {
    let row = channelRows.get(u.id);
    if (!row) {
      row = channelRow(u);
      channelRows.set(u.id, row);
    }
    const label = u.id === session.userid ? `${u.name} (you)` : u.name;
    if (row.name.textContent !== label) row.name.textContent = label;
    row.slider.setAttribute('aria-label', `Microphone level of ${label}`);
    row.solo.setAttribute('aria-label', `Solo ${label}`);
    row.level.setAttribute('aria-label', `${label} level`);
    const pct = levelPercent(u.rms);
    row.level.setAttribute('aria-valuenow', String(pct));
    row.level.firstChild.style.width = `${pct}%`;
    if (document.activeElement !== row.slider) {
      row.slider.value = String(u.micVolume);
      row.out.textContent = u.micVolume.toFixed(2);
    }
    row.solo.setAttribute('aria-pressed', String(u.soloed));
  }
  const order = Array.from(list.children);
  if (order.length !== ids.length || order.some((li, i) => li !== channelRows.get(ids[i]).li)) {
    for (const id of ids) list.append(channelRows.get(id).li);
  }
  if (!ids.length && !list.children.length) {
    const li = document.createElement('li');
    li.className = 'empty';
    li.textContent = 'No singers yet.';
    list.append(li);
  } else if (ids.length) {
    for (const li of list.querySelectorAll('.empty')) li.remove();
  }
  showLatestNotice($('console-notice'), 'console');
}

/** kind: 'ok' | 'refused' | 'info'. */
function showNotice(el, kind, text) {
  el.className = `notice ${kind}`;
  el.textContent = text;
  el.hidden = !text;
  if (kind === 'refused') stats.shownRefusal = text;
}

const shownNotice = { song: 0, console: 0 };
function showLatestNotice(el, area) {
  const latest = session.notices.filter((n) => n.area === area).at(-1);
  if (!latest || latest.id === shownNotice[area]) return;
  shownNotice[area] = latest.id;
  showNotice(el, latest.kind, latest.text);
  if (latest.kind === 'refused' && area === 'console') $('console').open = true;
}

const STATE_LABELS = {
  idle: 'Not connected',
  connecting: 'Connecting…',
  reconnecting: 'Reconnecting…',
  connected: 'Connected',
  offline: 'Server unreachable',
  error: 'Connection problem',
};

/** Which transport carries the exchanges, beside the connection pill. */
function renderTransport(t) {
  const el = $('transport');
  el.textContent = t.kind === 'ws' ? 'WebSocket' : 'HTTP';
  el.title = t.kind === 'ws' ? 'Exchanges go over one WebSocket.' : `Exchanges go over HTTP requests${t.why ? ` (${t.why})` : ''}.`;
}

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
  // During a song only its leader controls it; the lead can be handed over.
  $('lead').hidden = session.isLeader || st === 'singing';
  $('lead').textContent = session.leader && !session.isLeader ? 'Take the lead' : 'Lead a song';
  $('start-singing').hidden = !(session.isLeader && st !== 'singing');
  $('stop-singing').hidden = !(session.isLeader && st === 'singing');
}

function renderBucketChoice() {
  const select = $('bucket-choice');
  const st = session.songState;
  const fixed = st === 'singing' || session.isLeader || session.noHeadphones;
  const want = [];
  for (let b = 1; b < N_BUCKETS; b++) want.push([String(session.firstBucket + b * 3), `Bucket ${b + 1} (${session.firstBucket + b * 3} s behind)`]);
  const have = Array.from(select.options).map((o) => o.value).join();
  if (have !== want.map((w) => w[0]).join()) select.replaceChildren(...want.map(([v, t]) => new Option(t, v)));
  if (document.activeElement !== select) select.value = String(session.offsetSeconds);
  select.disabled = fixed;
  $('bucket-choice-note').textContent = session.noHeadphones
    ? 'Without headphones you stay in the last bucket.'
    : st === 'singing' ? 'Fixed while a song runs.' : session.isLeader ? 'You lead from bucket 1.' : '';
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
    users: session.users.map((u) => ({ name: u.name, bucket: u.bucket, delaySeconds: u.delaySeconds, micVolume: u.micVolume, soloed: u.soloed })),
    room: { ...session.room },
    hearSolos: session.hearSolos,
    refusals: s.refusals || 0,
    notices: session.notices.map((n) => ({ kind: n.kind, area: n.area, text: n.text })),
    cues: { ...cues },
    transport: session.transport.kind,
  });
  renderStatus(s);
  renderTransport(session.transport);
  $('you-bucket').textContent = s.bucket === null ? '—' : `${s.bucket + 1} of ${N_BUCKETS}`;
  $('you-delay').textContent = s.delaySeconds === null ? '—' : `${s.delaySeconds} s`;
  $('mute').setAttribute('aria-pressed', String(session.muted));
  $('mute').textContent = session.muted ? 'Unmute' : 'Mute';
  $('mute').disabled = session.listenOnly;
  $('listen-only').setAttribute('aria-pressed', String(session.listenOnly));
  $('listen-only').disabled = !engine.hasMic;
  renderSong();
  renderBucketChoice();
  renderSongCues();
  renderSongSetup();
  renderLyrics();
  renderConsole();
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
    if (session) tickSongCues();
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
