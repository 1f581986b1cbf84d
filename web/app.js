// brigade singer page: the page itself: it wires the join flow (join-ui.js) to a session
// (session.js) over the WebSocket transport (HTTP as its fallback), and shows the chain (step 4): connection status, the
// song card, buckets, singers and chat. The leader's song setup and the mixing console have
// their own modules. UI layer: words and DOM live here and in the other *-ui.js modules only.

import { N_BUCKETS } from './protocol.js';
import { AudioEngine } from './audio-engine.js';
import { Session } from './session.js';
import { WsTransport } from './ws-transport.js';
import { Observers } from './observers.js';
import { statusText, problemText, noticeText } from './wording.js';
import { prefs } from './prefs.js';
import { $, ADMIN_KEY, stats, showNotice, levelMeter, setLevel, levelPercent, renderKeyed } from './ui-common.js';
import { initJoin, show, forgetMe } from './join-ui.js';
import { initSongSetup, renderSongSetup, initLyrics, renderLyrics } from './song-setup-ui.js';
import { initConsole, renderConsole } from './console-ui.js';
import { initSongCues, renderSongCues, tickSongCues, countInAndStart, cues } from './song-cues.js';
import { roomName, roomUrl } from './room.js';

/**
 * The API lives on the page's own origin, in the page's room (/r/<room>/api or /api); exchanges go
 * over a WebSocket (…/api/ws), falling back to HTTP by themselves; ?transport=http in the page's
 * address forces HTTP.
 */
const transport = new WsTransport(roomUrl('api'), {
  mode: new URLSearchParams(location.search).get('transport') === 'http' ? 'http' : 'ws',
});
/** Redraw period for meters and song cues. */
const UI_TICK_MS = 100;

if (roomName) {  // the singer page says which room it is in, and links to the lobby
  $('room-pill').textContent = `Room: ${roomName}`;
  $('room-pill').hidden = false;
  document.title = `${roomName} — Brigade`;
}
const engine = new AudioEngine();
let session = null;
/** Decoded replies of every connection, for whoever observes them (nothing here does). */
const received = new Observers();

/**
 * What the page shows, as data (`stats`, refreshed on every render), and a way to watch its audio:
 * observe('mic', fn(frame, samples)) for every capture block (AudioContext frame of its first
 * sample), observe('received', fn(readStart, samples)) for every decoded reply (server clock of
 * its read interval's start; decoded audio trails it by the codec delay). Samples are only valid
 * during the call. Returns a function that stops observing. Nothing in the page observes.
 */
function observe(kind, fn) {
  if (kind === 'mic') return engine.mic.add(fn);
  if (kind === 'received') return received.add(fn);
  throw new Error(`unknown audio stream ${kind}`);
}

window.brigade = Object.freeze({ stats, observe });

// Step 4: the chain.
function join(ms, { listenOnly, noHeadphones }) {
  const adminToken = sessionStorage.getItem(ADMIN_KEY) || '';
  const opts = { name: prefs.name() || $('name').value.trim(), latencyMs: ms, listenOnly, adminToken, noHeadphones, received };
  session = new Session(engine, transport, opts, render);
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
  initSongSetup(() => session, transport);
  initLyrics();
  initConsole(() => session);
}

const STATE_LABELS = {
  idle: 'Not connected',
  connecting: 'Connecting…',
  reconnecting: 'Reconnecting…',
  moving: 'Moving…',
  connected: 'Connected',
  offline: 'Server unreachable',
  error: 'Connection problem',
};

/** Which transport carries the exchanges: discreet, beside the connection pill. */
function renderTransport() {
  const el = $('transport');
  el.textContent = transport.kind === 'ws' ? 'WebSocket' : 'HTTP';
  el.title = transport.kind === 'ws' ? 'Exchanges go over one WebSocket.' : `Exchanges go over HTTP requests${transport.why ? ` (${transport.why})` : ''}.`;
}

function renderStatus(s, message) {
  const pill = $('conn-pill');
  pill.textContent = STATE_LABELS[s.state] || s.state;
  pill.className = `pill ${s.state}`;
  const banner = $('status-banner');
  const bad = s.state === 'offline' || s.state === 'error';
  banner.hidden = !message;
  banner.textContent = message;
  banner.className = `banner ${bad ? 'error' : 'warn'}`;
  document.querySelector('#step-chain .grid').classList.toggle('stale', s.state !== 'connected');
  if (bad) stats.shownError = message;
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

const bucketRows = new Map();
const singerRows = new Map();

function bucketRow(b) {
  const li = document.createElement('li');
  li.className = 'bucket';
  li.style.setProperty('--c', `var(--bucket-${b})`);
  const h = document.createElement('h4');
  h.textContent = b === 0 ? 'Bucket 1 · lead' : `Bucket ${b + 1}`;
  const members = document.createElement('ul');
  li.append(h, members);
  return { li, members, rows: new Map() };
}

function singerLabel(u) {
  return u.id === session.userid ? `${u.name} (you)` : u.name;
}

function renderBuckets() {
  const buckets = Array.from({ length: N_BUCKETS }, (_, b) => b);
  renderKeyed($('buckets'), bucketRows, buckets, {
    keyOf: (b) => b,
    create: bucketRow,
    update: (row, b) => {
      row.li.classList.toggle('mine', session.stats.bucket === b);
      renderKeyed(row.members, row.rows, session.users.filter((u) => u.bucket === b), {
        keyOf: (u) => u.id,
        create: () => ({ li: document.createElement('li') }),
        update: (item, u) => {
          item.li.textContent = singerLabel(u);
          item.li.title = `${u.name}, ${u.delaySeconds} s behind`;
        },
        emptyText: 'empty',
      });
    },
  });
}

function singerRow() {
  const li = document.createElement('li');
  const name = document.createElement('span');
  name.className = 'singer-name';
  const level = levelMeter('');
  li.append(name, level);
  return { li, name, level };
}

function renderSingers() {
  $('singer-count').textContent = session.users.length ? `(${session.users.length})` : '';
  renderKeyed($('singers'), singerRows, session.users, {
    keyOf: (u) => u.id,
    create: singerRow,
    update: (row, u) => {
      const tags = [];
      if (u.id === session.leader) tags.push(['lead', 'leader']);
      if (u.muted) tags.push(['', 'muted']);
      tags.push(['', `bucket ${u.bucket + 1}`]);
      row.name.replaceChildren(singerLabel(u), ...tags.map(([cls, label]) => {
        const t = document.createElement('span');
        t.className = `tag ${cls}`;
        t.textContent = label;
        return t;
      }));
      row.level.setAttribute('aria-label', `${u.name} level`);
      setLevel(row.level, u.rms);
    },
  });
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
  const message = statusText(s);
  Object.assign(stats, {
    state: s.state,
    message,
    requests: s.requests,
    ok: s.ok,
    errors: s.errors,
    lastError: problemText(s.lastProblem),
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
    songStart: session.songStart,
    users: session.users.map((u) => ({ name: u.name, bucket: u.bucket, delaySeconds: u.delaySeconds, micVolume: u.micVolume, soloed: u.soloed })),
    room: session.room.settings,
    hearSolos: session.hearSolos,
    refusals: s.refusals,
    pushes: s.pushes,
    reanchors: s.reanchors,
    driftMs: s.driftMs,
    notices: session.notices.map((n) => ({ kind: n.kind, area: n.area, text: noticeText(n) })),
    cues: { ...cues },
    transport: transport.kind,
  });
  renderStatus(s, message);
  renderTransport();
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
  renderSongSetup(session);
  renderLyrics(session);
  renderConsole(session);
  renderBuckets();
  renderSingers();
  renderChat();
}

function setMeter(fillId, peak) {
  const pct = levelPercent(peak);
  const fill = $(fillId);
  fill.style.width = `${pct}%`;
  fill.parentElement.setAttribute('aria-valuenow', String(pct));
}

/** Meters and song cues between renders: cheap, no audio analysis. */
function tick() {
  if (engine.ctx) {
    const peak = session && (session.muted || session.listenOnly) ? 0 : engine.micPeak;
    if (session) tickSongCues();
    setMeter('mic-meter-fill', engine.micPeak);
    setMeter('chain-meter-fill', peak);
  }
  if (session) stats.underruns = engine.underruns;
}

initJoin(engine, () => session, join);
initChain();
setInterval(tick, UI_TICK_MS);
