// brigade debug chart: draws the debug state (pushed over /api/debug/stream, or polled from
// /api/debug/state: debug-source.js) as the whole 120 s ring, one row per second of server time
// (newest at the top), with every singer's read and write windows. Above it, the problems list
// and the singers' lanes (debug-problems.js, debug-lanes.js).
// Uses only the documented endpoints; no libraries, works offline.

import { LanesChart } from './debug-lanes.js';
import { ProblemsList, problemNames, PROBLEM_KINDS, PROBLEM_LABELS } from './debug-problems.js';
import { DebugSource } from './debug-source.js';
import { roomUrl } from './room.js';

const RATE = 48000;
const FRAME = 128;
const FRAMES_PER_ROW = RATE / FRAME; // 375: one row is one second
const N_BUCKETS = 6;

/** Chart palette; exported through window.brigadeDebug for the browser test. */
const COLORS = {
  background: '#12151d',
  empty: '#232a3a',
  occupied: '#9aa7bf',
  pending: '#3a2540', // ring positions between the clearing cursor and now: not cleared yet
  outside: '#0c0e13', // in the future, or already overwritten by a newer lap of the ring
  grid: '#3a4254',
  text: '#c9d1e0',
  now: '#ffffff',
  cleared: '#ff6b6b',
  songStart: '#51cf66',
  songEnd: '#ff922b',
};
const BUCKET_COLORS = ['#ff6b35', '#ffd43b', '#69db7c', '#3bc9db', '#748ffc', '#e599f7'];
const MARGIN = { left: 52, right: 10, top: 22, bottom: 8 };
/** Row height (CSS px) per visible span in seconds. */
const ROW_HEIGHT = { 120: 6, 30: 16, 10: 36 };

const $ = (id) => document.getElementById(id);
const canvas = $('chart');
const ctx = canvas.getContext('2d', { alpha: false });
const tooltip = $('tooltip');

let state = null; // the snapshot drawn
let latest = null; // the last one received (the base of the stream's next delta)
let layout = null; // geometry of the last drawing
let dirty = false;
let framesDrawn = 0;
let pointer = null; // {x, y} in CSS px over the canvas, for the tooltip
let sortKey = 'bucket';
let sortDir = 1;
const rows = new Map(); // singer id → <tr>
let selected = null; // id of the singer highlighted everywhere

// ---------------------------------------------------------------------------------------------
// Data

function decodeBits(base64) {
  const bin = atob(base64);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return bytes;
}

/** A singer of the compact form (an array in `singer_fields` order) as an object. */
function singerFromRow(row, at, now) {
  const get = (k) => row[at[k]];
  const ago = (k) => (get(k) === null ? null : now - get(k));
  const flags = get('flags');
  const write = get('write_begin_ago') === null ? null : { begin: ago('write_begin_ago'), end: ago('write_end_ago') };
  return {
    id: get('id'),
    name: get('name'),
    delay_ms: get('delay_ms'),
    delay_seconds: get('delay_ms') / 1000,
    bucket: get('bucket'),
    read: { begin: ago('read_begin_ago'), end: ago('read_end_ago') },
    write,
    rms: get('rms'),
    mic_volume: get('mic_volume'),
    leader: !!(flags & 1),
    muted: !!(flags & 2),
    spectator: !!(flags & 4),
    soloed: !!(flags & 8),
    headphones: !(flags & 16),
    problems: get('problems'),
    health: {
      late_ms: get('late_ms'),
      write_offset_ms: get('write_offset_ms'),
      offset_from_peers_ms: get('offset_from_peers_ms'),
      silent_s: get('silent_s'),
      since_last_s: get('since_last_s'),
      peak: get('peak'),
      reconnects: get('reconnects'),
      codec_resets: get('codec_resets'),
    },
  };
}

/**
 * A state as the server sent it → the state drawn. A delta (the stream's ?delta=1: README, "The
 * debug stream") applies to `base`, the state decoded from the stream's previous message, and
 * leaves `base` as it was (it may be the frozen, paused view); without a base it is dropped.
 */
function decode(json, base = null) {
  if (json.format === 'delta') return base && base.fieldAt ? applyDelta(base, json) : null;
  const s = json;
  s.bits = decodeBits(s.occupancy.bits_base64);
  s.runCount = s.occupancy.runs.length;
  s.receivedAt = performance.now();
  if (s.format === 'compact') {
    const at = Object.fromEntries(s.singer_fields.map((f, i) => [f, i]));
    s.fieldAt = at;
    s.singers = s.singers.map((row) => singerFromRow(row, at, s.server_clock));
  } else {
    for (const g of s.singers) {
      g.read = { begin: g.read_window[0], end: g.read_window[1] };
      g.write = g.write_window ? { begin: g.write_window[0], end: g.write_window[1] } : null;
      g.delay_ms = Math.round(g.delay_seconds * 1000);
      g.problems = (g.problems || []).reduce((m, k) => m | (1 << PROBLEM_KINDS_INDEX[k]), 0);
    }
  }
  for (const g of s.singers) g.idNum = Number(g.id);
  return s;
}
const PROBLEM_KINDS_INDEX = Object.fromEntries(PROBLEM_KINDS.map((k, i) => [k, i]));

/** `base` with a delta's numbers, bitmap words and singers applied (a new state). */
function applyDelta(base, d) {
  const bits = base.bits.slice();
  for (const [i, lo, hi] of d.occupancy.words) {
    for (let k = 0; k < 8 && 8 * i + k < bits.length; k++) {
      bits[8 * i + k] = (k < 4 ? lo >>> (8 * k) : hi >>> (8 * (k - 4))) & 255;
    }
  }
  const changed = new Map();
  for (const row of d.singers) {
    const g = singerFromRow(row, base.fieldAt, d.server_clock);
    g.idNum = Number(g.id);
    changed.set(g.id, g);
  }
  const gone = new Set(d.gone);
  const singers = [];
  for (const g of base.singers) {
    if (gone.has(g.id)) continue;
    const now = changed.get(g.id);
    singers.push(now || g);
    changed.delete(g.id);
  }
  for (const g of changed.values()) singers.push(g);
  return Object.assign({}, base, d, {
    format: 'compact',
    bits,
    runCount: d.occupancy.run_count,
    receivedAt: performance.now(),
    singers,
  });
}

const ringFrame = (s, c) => Math.floor((((c % s.ring_samples) + s.ring_samples) % s.ring_samples) / FRAME);
const occupied = (s, c) => {
  const f = ringFrame(s, c);
  return (s.bits[f >> 3] >> (f & 7)) & 1;
};

/** What the chart shows for the frame starting at clock c. */
function frameKind(s, c) {
  if (c + FRAME > s.server_clock || c < s.server_clock - s.ring_samples) return 'outside';
  if (c + FRAME > s.occupancy.clock) return 'pending';
  return occupied(s, c) ? 'occupied' : 'empty';
}

const secondsAgo = (s, c) => (s.server_clock - c) / RATE;
const fmtAgo = (s, c) => `${secondsAgo(s, c).toFixed(2)}`;

// ---------------------------------------------------------------------------------------------
// Drawing

function hexToRgb(hex) {
  const v = parseInt(hex.slice(1), 16);
  return [(v >> 16) & 255, (v >> 8) & 255, v & 255];
}
const KIND_RGB = {
  outside: hexToRgb(COLORS.outside),
  pending: hexToRgb(COLORS.pending),
  occupied: hexToRgb(COLORS.occupied),
  empty: hexToRgb(COLORS.empty),
};

const offscreen = document.createElement('canvas');
const offctx = offscreen.getContext('2d');

function computeLayout(s) {
  const span = Number($('span').value);
  const rowsShown = span === 120 ? 121 : span + 1; // 121 rows hold every frame of the ring
  const rowH = ROW_HEIGHT[span];
  const cssW = canvas.clientWidth || 800;
  const cssH = MARGIN.top + rowsShown * rowH + MARGIN.bottom;
  const base = Math.floor(s.server_clock / RATE) * RATE; // row 0 starts here
  return {
    span,
    rows: rowsShown,
    rowH,
    cssW,
    cssH,
    base,
    plotX: MARGIN.left,
    plotY: MARGIN.top,
    plotW: cssW - MARGIN.left - MARGIN.right,
    dpr: window.devicePixelRatio || 1,
  };
}

/** Row and x (CSS px) of clock c, or null when c is not on the chart. */
function place(L, c) {
  const row = Math.floor((L.base - c + RATE - 1) / RATE); // rows start at base - row * RATE
  if (row < 0 || row >= L.rows) return null;
  const start = L.base - row * RATE;
  return { row, x: L.plotX + ((c - start) / RATE) * L.plotW, y: L.plotY + row * L.rowH };
}

function draw() {
  const s = state;
  const L = computeLayout(s);
  layout = L;
  const w = Math.round(L.cssW * L.dpr);
  const h = Math.round(L.cssH * L.dpr);
  if (canvas.width !== w || canvas.height !== h) {
    canvas.width = w;
    canvas.height = h;
    canvas.style.height = `${L.cssH}px`;
  }
  ctx.setTransform(L.dpr, 0, 0, L.dpr, 0, 0);
  ctx.fillStyle = COLORS.background;
  ctx.fillRect(0, 0, L.cssW, L.cssH);

  // The bitmap: one pixel per frame in an offscreen image, scaled up without smoothing.
  if (offscreen.width !== FRAMES_PER_ROW || offscreen.height !== L.rows) {
    offscreen.width = FRAMES_PER_ROW;
    offscreen.height = L.rows;
  }
  const img = offctx.createImageData(FRAMES_PER_ROW, L.rows);
  for (let row = 0; row < L.rows; row++) {
    const start = L.base - row * RATE;
    for (let f = 0; f < FRAMES_PER_ROW; f++) {
      const rgb = KIND_RGB[frameKind(s, start + f * FRAME)];
      const i = (row * FRAMES_PER_ROW + f) * 4;
      img.data[i] = rgb[0];
      img.data[i + 1] = rgb[1];
      img.data[i + 2] = rgb[2];
      img.data[i + 3] = 255;
    }
  }
  offctx.putImageData(img, 0, 0);
  ctx.imageSmoothingEnabled = false;
  const gap = L.rowH >= 10 ? 2 : 0;
  for (let row = 0; row < L.rows; row++) {
    ctx.drawImage(offscreen, 0, row, FRAMES_PER_ROW, 1, L.plotX, L.plotY + row * L.rowH, L.plotW, L.rowH - gap);
  }

  // Faint separators at the labelled rows help the eye on the dense 120 s view.
  if (gap === 0) {
    ctx.fillStyle = COLORS.background;
    for (let row = labelEvery(L); row < L.rows; row += labelEvery(L)) {
      ctx.fillRect(L.plotX, L.plotY + row * L.rowH, L.plotW, 1);
    }
  }
  drawAxes(s, L);
  if ($('show-read').checked || $('show-write').checked) drawWindows(s, L);
  drawMarkers(s, L);
  framesDrawn++;
}

const labelEvery = (L) => (L.span === 120 ? 10 : L.span === 30 ? 5 : 1);

function drawAxes(s, L) {
  ctx.fillStyle = COLORS.text;
  ctx.font = '11px system-ui, sans-serif';
  ctx.textBaseline = 'middle';
  ctx.textAlign = 'right';
  const every = labelEvery(L);
  ctx.strokeStyle = COLORS.grid;
  ctx.lineWidth = 1;
  for (let row = 0; row < L.rows; row += every) {
    const y = L.plotY + row * L.rowH + L.rowH / 2;
    ctx.fillText(row === 0 ? 'now' : `−${row} s`, L.plotX - 6, y);
  }
  ctx.textAlign = 'center';
  ctx.textBaseline = 'alphabetic';
  for (const q of [0, 0.25, 0.5, 0.75, 1]) {
    const x = L.plotX + q * L.plotW;
    ctx.fillText(`+${q} s`, Math.min(Math.max(x, L.plotX + 12), L.plotX + L.plotW - 14), L.plotY - 8);
    ctx.beginPath();
    ctx.moveTo(Math.round(x) + 0.5, L.plotY - 5);
    ctx.lineTo(Math.round(x) + 0.5, L.plotY - 1);
    ctx.stroke();
  }
}

/** Calls fn(x0, x1, y) for each row piece of [begin, end). */
function eachPiece(L, begin, end, fn) {
  let c = begin;
  while (c < end) {
    const p = place(L, c);
    const rowEnd = Math.floor(c / RATE) * RATE + RATE;
    const stop = Math.min(end, rowEnd);
    if (p) fn(p.x, p.x + ((stop - c) / RATE) * L.plotW, p.y);
    c = stop;
  }
}

function drawWindows(s, L) {
  const showRead = $('show-read').checked;
  const showWrite = $('show-write').checked;
  const inset = Math.max(1, Math.floor(L.rowH * 0.2));
  const chosen = s.singers.find((g) => g.id === selected);
  const list = chosen ? [...s.singers.filter((g) => g !== chosen), chosen] : s.singers;
  for (const g of list) {
    const color = g === chosen ? COLORS.now : BUCKET_COLORS[g.bucket % N_BUCKETS];
    if (showWrite && g.write) {
      ctx.fillStyle = color;
      eachPiece(L, g.write.begin, g.write.end, (x0, x1, y) => {
        ctx.fillRect(x0, y + inset, Math.max(1, x1 - x0), Math.max(1, L.rowH - 2 * inset));
      });
    }
    if (showRead) {
      ctx.strokeStyle = color;
      ctx.lineWidth = 1.5;
      eachPiece(L, g.read.begin, g.read.end, (x0, x1, y) => {
        ctx.strokeRect(x0 + 0.75, y - 0.75, Math.max(1, x1 - x0 - 1.5), L.rowH + 1.5);
      });
    }
  }
}

function marker(L, c, color, dashed) {
  const p = place(L, c);
  if (!p) return;
  ctx.strokeStyle = color;
  ctx.fillStyle = color;
  ctx.lineWidth = 2;
  ctx.setLineDash(dashed ? [3, 2] : []);
  ctx.beginPath();
  ctx.moveTo(p.x, p.y - 4);
  ctx.lineTo(p.x, p.y + L.rowH + 4);
  ctx.stroke();
  ctx.setLineDash([]);
  ctx.beginPath(); // a small triangle on top, so the marker is visible on 5 px rows
  ctx.moveTo(p.x - 4, p.y - 8);
  ctx.lineTo(p.x + 4, p.y - 8);
  ctx.lineTo(p.x, p.y - 3);
  ctx.fill();
}

function drawMarkers(s, L) {
  if (s.song_start_clock > 1) marker(L, s.song_start_clock, COLORS.songStart, false);
  if (s.song_end_clock > 1) marker(L, s.song_end_clock, COLORS.songEnd, false);
  marker(L, s.server_clock, COLORS.now, false);
  if (s.cleared_to !== null) {
    // Drawn last and labelled: a few ms behind "now", it would otherwise hide under it.
    marker(L, s.cleared_to, COLORS.cleared, true);
    const p = place(L, s.cleared_to);
    if (p) {
      ctx.font = 'bold 11px system-ui, sans-serif';
      ctx.textBaseline = 'alphabetic';
      ctx.fillStyle = COLORS.cleared;
      const text = `cleared ${((s.cleared_to - s.server_clock) / RATE * 1000).toFixed(0)} ms`;
      const right = p.x > L.plotX + L.plotW / 2;
      ctx.textAlign = right ? 'right' : 'left';
      ctx.fillText(text, p.x + (right ? -8 : 8), p.y - 2);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Tooltip

function clockAt(L, x, y) {
  const row = Math.floor((y - L.plotY) / L.rowH);
  const q = (x - L.plotX) / L.plotW;
  if (row < 0 || row >= L.rows || q < 0 || q >= 1) return null;
  return L.base - row * RATE + Math.floor(q * FRAMES_PER_ROW) * FRAME;
}

function names(list) {
  const shown = list.slice(0, 6).map((g) => `${g.name} (bucket ${g.bucket + 1})`);
  if (list.length > 6) shown.push(`+${list.length - 6} more`);
  return shown.join(', ');
}

function updateTooltip() {
  if (!pointer || !state || !layout) {
    tooltip.hidden = true;
    return;
  }
  const s = state;
  const c = clockAt(layout, pointer.x, pointer.y);
  if (c === null) {
    tooltip.hidden = true;
    return;
  }
  const kind = frameKind(s, c);
  const what = {
    occupied: 'audio',
    empty: 'silent',
    pending: 'not cleared yet (audio of the previous lap)',
    outside: c >= s.server_clock ? 'in the future' : 'overwritten by the current lap',
  }[kind];
  const inside = (w) => w && c + FRAME > w.begin && c < w.end;
  const readers = s.singers.filter((g) => inside(g.read));
  const writers = s.singers.filter((g) => inside(g.write));
  const lines = [
    `<strong>${fmtAgo(s, c)} s ago</strong> · frame ${ringFrame(s, c)} · ${what}`,
    `clock ${c}`,
  ];
  if (readers.length) lines.push(`reading: ${escapeHtml(names(readers))}`);
  if (writers.length) lines.push(`writing: ${escapeHtml(names(writers))}`);
  tooltip.innerHTML = lines.join('<br>');
  tooltip.hidden = false;
  const wrap = canvas.parentElement.getBoundingClientRect();
  const left = Math.min(pointer.x + 14, wrap.width - tooltip.offsetWidth - 4);
  tooltip.style.left = `${Math.max(4, left)}px`;
  tooltip.style.top = `${pointer.y + 16}px`;
}

function escapeHtml(text) {
  return text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

// ---------------------------------------------------------------------------------------------
// Stats, legend, table

function setText(id, text) {
  const el = $(id);
  if (el.textContent !== text) el.textContent = text;
}

function songText(s) {
  if (s.song_start_clock === 0) return 'none';
  if (s.song_start_clock === 1) return 'halted';
  const start = `started ${fmtAgo(s, s.song_start_clock)} s ago`;
  return s.song_end_clock > 1 ? `${start}, ended ${fmtAgo(s, s.song_end_clock)} s ago` : start;
}

function updateStats(s) {
  setText('s-clock', String(s.server_clock));
  setText(
    's-cleared',
    s.cleared_to === null ? 'never' : `${((s.server_clock - s.cleared_to) / RATE * 1000).toFixed(0)} ms behind now`,
  );
  const pct = (100 * s.occupancy.occupied_frames) / s.ring_frames;
  setText('s-occupied', `${s.occupancy.occupied_frames} frames (${pct.toFixed(1)} %), ${s.runCount} runs`);
  setText('s-song', songText(s));
  setText('s-singers', String(s.n_active_singers));
  setText('s-rps', s.requests_per_second.toFixed(1));
  $('chart-summary').textContent =
    `${s.occupancy.occupied_frames} of ${s.ring_frames} frames hold audio; ${s.n_active_singers} singers active.`;
}

function legendItem(swatchStyle, label) {
  const li = document.createElement('li');
  const sw = document.createElement('span');
  sw.className = 'swatch';
  Object.assign(sw.style, swatchStyle);
  sw.setAttribute('aria-hidden', 'true');
  li.append(sw, document.createTextNode(label));
  return li;
}

let legendKey = '';
function updateLegend(s) {
  // Numbers, delays and counts as the server states them (the singer page's numbering).
  const key = JSON.stringify(s.buckets);
  if (key === legendKey) return;
  legendKey = key;
  const items = [
    legendItem({ background: COLORS.occupied }, 'audio'),
    legendItem({ background: COLORS.empty }, 'silence'),
    legendItem({ background: COLORS.pending }, 'not cleared yet'),
    legendItem({ background: COLORS.now, width: '3px' }, 'now'),
    legendItem({ background: COLORS.cleared, width: '3px' }, 'cleared up to'),
    legendItem({ background: COLORS.songStart, width: '3px' }, 'song start'),
    legendItem({ background: COLORS.songEnd, width: '3px' }, 'song end'),
    legendItem({ border: '2px solid #c9d1e0', background: 'transparent' }, 'read window (outline)'),
    legendItem({ background: '#c9d1e0', height: '6px' }, 'write window (bar)'),
  ];
  for (const [b, info] of s.buckets.entries()) {
    const n = info.singers;
    const lead = info.leader ? `, leader ${info.leader}` : '';
    // The measured delays, when they stray from the bucket's own (e.g. the original client's).
    const off = n && Math.abs(info.median_delay_seconds - info.delay_seconds) >= 0.25;
    const measured = off ? `, measured ${info.median_delay_seconds.toFixed(2)} s` : '';
    const li = legendItem(
      { background: BUCKET_COLORS[b % N_BUCKETS] },
      `Bucket ${info.number} · ${info.delay_seconds} s · ${n} singer${n === 1 ? '' : 's'}${measured}${lead}`,
    );
    li.classList.add('bucket');
    if (!n) li.classList.add('empty-bucket');
    items.push(li);
  }
  $('legend').replaceChildren(...items);
}

const SORTERS = {
  bucket: (g) => [g.bucket, g.delay_seconds, g.name],
  name: (g) => [g.name.toLowerCase(), g.id],
  id: (g) => [g.id.length, g.id],
  delay: (g) => [g.delay_seconds],
  read: (g) => [g.read.end],
  write: (g) => [g.write ? g.write.end : -Infinity],
  rms: (g) => [g.rms],
  mic: (g) => [g.mic_volume],
  problems: (g) => [-popcount(g.problems), g.bucket],
};
const popcount = (m) => problemNames(m).length;

function compare(a, b) {
  for (let i = 0; i < a.length; i++) {
    if (a[i] < b[i]) return -1;
    if (a[i] > b[i]) return 1;
  }
  return 0;
}

function windowText(s, w) {
  return w ? `${fmtAgo(s, w.end)}–${fmtAgo(s, w.begin)}` : '—';
}

function flagsText(g) {
  const f = [];
  if (g.leader) f.push('leader');
  if (g.muted) f.push('muted');
  if (g.spectator) f.push('spectator');
  if (g.soloed) f.push('soloed');
  if (g.headphones === false) f.push('no headphones');
  return f.join(', ');
}

function makeRow() {
  const tr = document.createElement('tr');
  for (let i = 0; i < 10; i++) tr.append(document.createElement(i === 1 ? 'th' : 'td'));
  tr.addEventListener('click', () => select(tr.dataset.id, {}));
  tr.children[1].scope = 'row';
  const sw = document.createElement('span');
  sw.className = 'swatch';
  sw.setAttribute('aria-hidden', 'true');
  tr.children[0].append(sw, document.createTextNode(''));
  return tr;
}

function setCell(td, text) {
  if (td.textContent !== text) td.textContent = text;
}

function updateTable(s) {
  const filter = $('filter').value.trim().toLowerCase();
  const list = s.singers.filter((g) => !filter || g.name.toLowerCase().includes(filter) || g.id.includes(filter));
  const key = SORTERS[sortKey];
  list.sort((a, b) => sortDir * compare(key(a), key(b)) || compare([a.id], [b.id]));
  const tbody = document.querySelector('#singers tbody');
  const seen = new Set();
  let prev = null;
  for (const g of list) {
    seen.add(g.id);
    let tr = rows.get(g.id);
    if (!tr) {
      tr = makeRow();
      rows.set(g.id, tr);
    }
    const c = tr.children;
    c[0].firstChild.style.background = BUCKET_COLORS[g.bucket];
    setCell(c[0].lastChild, ` ${g.bucket + 1}`);
    setCell(c[1], g.name);
    setCell(c[2], g.id);
    setCell(c[3], `${g.delay_seconds.toFixed(2)} s`);
    setCell(c[4], windowText(s, g.read));
    setCell(c[5], windowText(s, g.write));
    setCell(c[6], g.rms.toFixed(3));
    setCell(c[7], g.mic_volume.toFixed(2));
    setCell(c[8], problemNames(g.problems).map((k) => PROBLEM_LABELS[k]).join(', '));
    setCell(c[9], flagsText(g));
    tr.dataset.bucket = String(g.bucket);
    tr.dataset.id = g.id;
    tr.classList.toggle('selected', g.id === selected);
    // Keep DOM order equal to the sorted order, moving only rows that are out of place.
    const want = prev ? prev.nextSibling : tbody.firstChild;
    if (want !== tr) tbody.insertBefore(tr, want);
    prev = tr;
  }
  for (const [id, tr] of rows) {
    if (!seen.has(id)) {
      tr.remove();
      if (!s.singers.some((g) => g.id === id)) rows.delete(id);
    }
  }
  setText('singer-count', `(${s.singers.length}${filter ? `, ${list.length} shown` : ''})`);
}

// ---------------------------------------------------------------------------------------------
// Loop

function setStatus(text, cls) {
  const el = $('status');
  setText('status', text);
  el.className = `pill ${cls}`;
}

/** Which source feeds the chart: discreet, beside the status pill. */
function showSource() {
  const el = $('source');
  setText('source', source.kind === 'stream' ? 'live: stream' : 'live: polling');
  el.dataset.kind = source.kind;
  el.title = source.kind === 'stream'
    ? 'The server pushes the state over a WebSocket (/api/debug/stream).'
    : `The page polls /api/debug/state${source.why ? ` (${source.why})` : ''}.`;
}

/** With --private the state needs an operator's token: ?token=… on this page, or the tab's. */
const params = new URLSearchParams(location.search);
const source = new DebugSource({
  stateUrl: roomUrl('api/debug/state'),
  streamUrl: roomUrl('api/debug/stream'),
  token: params.get('token') || sessionStorage.getItem('brigade.operatorToken') || sessionStorage.getItem('brigade.adminToken') || '',
  mode: params.get('source') === 'poll' ? 'poll' : 'stream',
  onState: (json) => {
    // Both sources, one path. Every streamed state is decoded, even paused: deltas build on it.
    const s = decode(json, latest);
    if (!s) return;
    latest = s;
    if (!source.paused) accept(s);
  },
  onStatus: (cls, text) => {
    setStatus(text, cls);
    showSource();
  },
});

function accept(s) {
  state = s;
  dirty = true;
}

/** Everything drawn on a canvas: the lanes (with the minimap) and the ring. */
function drawCharts() {
  lanes.draw();
  draw();
  setText('view-text', lanes.end < 0.05 ? `last ${+lanes.span.toFixed(1)} s, following now` : `${+lanes.span.toFixed(1)} s ending ${lanes.end.toFixed(1)} s ago`);
}

function updateAll() {
  lanes.setState(state);
  drawCharts();
  updateStats(state);
  updateLegend(state);
  problems.update(state, selected);
  setText('problem-count', `(${problems.rows.size})`);
  updateTable(state);
  updateTooltip();
}

function render() {
  if (dirty && state) {
    dirty = false;
    updateAll();
  }
  requestAnimationFrame(render);
}

/** Selects a singer everywhere (chart lanes, ring, problems list, table); null clears it. */
function select(id, { scroll = false, viewOnly = false } = {}) {
  if (!viewOnly) {
    selected = id || null;
    lanes.select(selected);
  }
  if (scroll && selected) {
    const y = lanes.rowY(selected);
    const canvasTop = lanesCanvas.getBoundingClientRect().top + window.scrollY;
    if (y !== null) window.scrollTo({ top: Math.max(0, canvasTop + y - window.innerHeight / 3) });
  }
  dirty = true;
}

const lanesCanvas = $('lanes');
const lanesTip = $('lanes-tooltip');
const lanes = new LanesChart(lanesCanvas, $('minimap'), {
  bucketColors: BUCKET_COLORS,
  onSelect: (id, opts) => select(id, opts),
  onHover: (g, at) => {
    if (!g || !at) {
      lanesTip.hidden = true;
      return;
    }
    const s = state;
    const probs = problemNames(g.problems).map((k) => PROBLEM_LABELS[k]);
    const lines = [
      `<strong>${escapeHtml(g.name)}</strong> · id ${escapeHtml(g.id)} · bucket ${g.bucket + 1} · ${g.delay_seconds.toFixed(2)} s behind`,
      `reads ${windowText(s, g.read)} s ago · writes ${windowText(s, g.write)} s ago`,
      `write offset ${g.health ? g.health.write_offset_ms : '–'} ms · level ${g.rms.toFixed(3)}`,
    ];
    if (probs.length) lines.push(`<span class="bad">${escapeHtml(probs.join(', '))}</span>`);
    lanesTip.innerHTML = lines.join('<br>');
    lanesTip.hidden = false;
    const wrap = lanesCanvas.parentElement.getBoundingClientRect();
    lanesTip.style.left = `${Math.max(4, Math.min(at.x + 14, wrap.width - lanesTip.offsetWidth - 4))}px`;
    lanesTip.style.top = `${at.y + 16}px`;
  },
});
const problems = new ProblemsList($('problems'), $('problem-summary'), {
  bucketColors: BUCKET_COLORS,
  onSelect: (id, opts) => select(id, opts),
});

function bind() {
  const view = (fn) => () => {
    fn();
    dirty = true;
  };
  $('zoom-in').addEventListener('click', view(() => lanes.zoom(0.5, 1)));
  $('zoom-out').addEventListener('click', view(() => lanes.zoom(2, 1)));
  $('zoom-all').addEventListener('click', view(() => lanes.setView(120, 0)));
  $('zoom-now').addEventListener('click', view(() => lanes.setView(10, 0)));
  lanesCanvas.addEventListener('keydown', (e) => {
    const step = lanes.span / 10;
    const act = { '+': () => lanes.zoom(0.5, 0.5), '=': () => lanes.zoom(0.5, 0.5), '-': () => lanes.zoom(2, 0.5),
      ArrowLeft: () => lanes.pan(step), ArrowRight: () => lanes.pan(-step), Escape: () => select(null) }[e.key];
    if (act) {
      e.preventDefault();
      act();
      dirty = true;
    }
  });
  $('pause').addEventListener('click', () => {
    source.pause(!source.paused);
    $('pause').textContent = source.paused ? 'Resume' : 'Pause';
    $('pause').setAttribute('aria-pressed', String(source.paused));
  });
  for (const id of ['span', 'show-read', 'show-write', 'filter']) {
    $(id).addEventListener('input', () => {
      dirty = true;
    });
  }
  for (const th of document.querySelectorAll('#singers th[data-key]')) {
    th.querySelector('button').addEventListener('click', () => {
      const k = th.dataset.key;
      sortDir = k === sortKey ? -sortDir : 1;
      sortKey = k;
      for (const other of document.querySelectorAll('#singers th[data-key]')) other.removeAttribute('aria-sort');
      th.setAttribute('aria-sort', sortDir > 0 ? 'ascending' : 'descending');
      dirty = true;
    });
  }
  const move = (e) => {
    const r = canvas.getBoundingClientRect();
    pointer = { x: e.clientX - r.left, y: e.clientY - r.top };
    updateTooltip();
  };
  canvas.addEventListener('pointermove', move);
  canvas.addEventListener('pointerdown', move);
  canvas.addEventListener('pointerleave', () => {
    pointer = null;
    updateTooltip();
  });
  new ResizeObserver(() => {
    dirty = true;
  }).observe(canvas.parentElement);
}

/** For tests and curious operators: the drawn state and the clock → canvas pixel mapping. */
window.brigadeDebug = {
  colors: COLORS,
  bucketColors: BUCKET_COLORS,
  get state() {
    return state;
  },
  get framesDrawn() {
    return framesDrawn;
  },
  frameKind: (c) => frameKind(state, c),
  /** Centre of the frame starting at clock c, in canvas (device) pixels, or null. */
  clockToPixel(c) {
    const p = layout && place(layout, c);
    if (!p) return null;
    const x = p.x + (FRAME / RATE) * layout.plotW / 2;
    const y = p.y + (layout.rowH - (layout.rowH >= 10 ? 2 : 0)) / 2;
    return { x: Math.floor(x * layout.dpr), y: Math.floor(y * layout.dpr) };
  },
  pause(on) {
    source.pause(on);
  },
  /** Shows a given state (as /api/debug/state sends it) instead of the live ones. */
  load(json) {
    source.pause(true);
    accept(decode(json));
    dirty = false;
    updateAll();
  },
  /** Draws every canvas once, synchronously (for timing: wrap it in performance.now()). */
  drawCharts,
  select: (id) => select(id, { scroll: true }),
  get selected() {
    return selected;
  },
  /** CSS px of a singer's row in the lanes canvas, and of its windows' x, or null. */
  lanePlace(id) {
    const y = lanes.rowY(id);
    const g = state && state.singers.find((x) => x.id === id);
    if (y === null || !g || !lanes.geom) return null;
    const x = (c) => lanes.x(lanes.geom, c);
    return { y, rowHeight: lanes.rh, read: [x(g.read.begin), x(g.read.end)], write: g.write ? [x(g.write.begin), x(g.write.end)] : null, dpr: lanes.geom.dpr };
  },
  get view() {
    return { span: lanes.span, end: lanes.end };
  },
  /** Fetches and draws one snapshot now, synchronously after the fetch. */
  async refresh() {
    accept(decode(await source.fetchOnce()));
    dirty = false;
    updateAll();
    return state.server_clock;
  },
};

bind();
showSource();
source.start();
requestAnimationFrame(render);
