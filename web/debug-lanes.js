// brigade debug chart: the singers' lanes. One lane per bucket (numbered and timed as the server
// says), one row per singer inside it: the read window on the row's upper half (pale), the write
// window on its lower half (solid), coloured by bucket. Time runs left to right over the 120 s
// ring; wheel or buttons zoom, dragging pans, the minimap below shows the whole ring and the
// view. The selected singer is highlighted; singers with problems get a red tick in the gutter.

const RATE = 48000;
const FRAME = 128;
const GUTTER = 168; // CSS px of lane labels left of the plot
const TICK_W = 6; // problem tick in the gutter
const RIGHT = 12;
const TOP = 34; // time labels and markers
const STRIP = 12; // occupancy strip under the labels
const LANE_GAP = 6;
const MIN_LANE = 18;
const MIN_SPAN_S = 1;
/** Seconds of future shown right of "now" so the now and clear markers never sit on the edge. */
const FUTURE_S = 0.02;
/** Clear and now markers closer than this (CSS px) are drawn apart, with the gap labelled. */
const MARKER_SEPARATION = 9;

export const LANE_COLORS = {
  background: '#12151d',
  laneBg: '#181d29',
  grid: '#2c3446',
  text: '#c9d1e0',
  muted: '#8c96ab',
  occupied: '#9aa7bf',
  empty: '#232a3a',
  pending: '#3a2540',
  now: '#ffffff',
  cleared: '#ff6b6b',
  songStart: '#51cf66',
  songEnd: '#ff922b',
  problem: '#ff4d4f',
  selected: '#ffffff',
};

/** Rows per singer by choir size: 10 px when few, 2 px (1 read + 1 write) at 1,000. */
function rowHeight(n) {
  if (n <= 40) return 10;
  if (n <= 120) return 6;
  if (n <= 300) return 4;
  return 2;
}

function niceStep(seconds) {
  for (const s of [0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30]) if (seconds / s <= 12) return s;
  return 60;
}

export class LanesChart {
  constructor(canvas, minimap, { bucketColors, onSelect, onHover }) {
    this.canvas = canvas;
    this.ctx = canvas.getContext('2d', { alpha: false });
    this.mini = minimap;
    this.mctx = minimap.getContext('2d', { alpha: false });
    this.bucketColors = bucketColors;
    this.onSelect = onSelect;
    this.onHover = onHover;
    this.state = null;
    this.selected = null;
    this.span = 120; // seconds shown
    this.end = 0; // seconds before now at the right edge (0: following now)
    this.rows = []; // [{singer, y}] in draw order
    this.rowOf = new Map(); // id → row index
    this.lanes = [];
    this.geom = null;
    this.bind();
  }

  setState(s) {
    this.state = s;
    this.layoutRows();
  }

  /** Lanes in bucket order; inside a lane by delay, then id, so a singer keeps its row. */
  layoutRows() {
    const s = this.state;
    const lanes = s.buckets.map((b) => ({ bucket: b, singers: [] }));
    for (const g of s.singers) lanes[Math.min(g.bucket, lanes.length - 1)].singers.push(g);
    for (const l of lanes) l.singers.sort((a, b) => a.delay_ms - b.delay_ms || a.idNum - b.idNum);
    const rh = rowHeight(s.singers.length);
    let y = TOP + STRIP + LANE_GAP;
    this.rows = [];
    this.rowOf.clear();
    for (const l of lanes) {
      l.y = y;
      l.h = Math.max(MIN_LANE, l.singers.length * rh);
      let ry = y + Math.floor((l.h - l.singers.length * rh) / 2);
      for (const g of l.singers) {
        this.rowOf.set(g.id, this.rows.length);
        this.rows.push({ singer: g, y: ry });
        ry += rh;
      }
      y += l.h + LANE_GAP;
    }
    this.lanes = lanes;
    this.rh = rh;
    this.cssH = y + 4;
  }

  /** The visible clock range [t0, t1). */
  range() {
    const s = this.state;
    const t1 = s.server_clock - this.end * RATE + FUTURE_S * this.span * RATE;
    return { t0: t1 - this.span * RATE, t1 };
  }

  setView(span, end) {
    const ring = this.state ? this.state.ring_samples / RATE : 120;
    this.span = Math.min(ring, Math.max(MIN_SPAN_S, span));
    this.end = Math.min(ring - this.span, Math.max(0, end));
  }

  zoom(factor, atFraction = 1) {
    // Keep the clock under the pointer (fraction of the plot from the left) in place.
    const atAgo = this.end + (1 - atFraction) * this.span;
    const span = Math.min(120, Math.max(MIN_SPAN_S, this.span * factor));
    this.setView(span, atAgo - (1 - atFraction) * span);
  }

  pan(seconds) {
    this.setView(this.span, this.end + seconds);
  }

  /** Brings clock c into view (centred) if it is not. */
  reveal(c) {
    const { t0, t1 } = this.range();
    if (c >= t0 && c <= t1) return;
    const ago = (this.state.server_clock - c) / RATE;
    this.setView(this.span, ago - this.span / 2);
  }

  select(id) {
    this.selected = id;
    const g = id && this.state && this.state.singers.find((x) => x.id === id);
    if (g) this.reveal(g.write ? g.write.end : g.read.end);
  }

  /** Page y (CSS px from the canvas top) of a singer's row, for scrolling it into view. */
  rowY(id) {
    const i = this.rowOf.get(id);
    return i === undefined ? null : this.rows[i].y;
  }

  // -------------------------------------------------------------------------------------------
  // Drawing

  draw() {
    const s = this.state;
    if (!s) return;
    const dpr = window.devicePixelRatio || 1;
    const cssW = this.canvas.clientWidth || 900;
    const w = Math.round(cssW * dpr);
    const h = Math.round(this.cssH * dpr);
    if (this.canvas.width !== w || this.canvas.height !== h) {
      this.canvas.width = w;
      this.canvas.height = h;
      this.canvas.style.height = `${this.cssH}px`;
    }
    const ctx = this.ctx;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.fillStyle = LANE_COLORS.background;
    ctx.fillRect(0, 0, cssW, this.cssH);
    const plotX = GUTTER;
    const plotW = cssW - GUTTER - RIGHT;
    const { t0, t1 } = this.range();
    const g = { plotX, plotW, t0, t1, scale: plotW / (t1 - t0), cssW, dpr };
    this.geom = g;
    this.drawLanes(ctx, g);
    this.drawStrip(ctx, g);
    this.drawWindows(ctx, g);
    this.drawAxis(ctx, g);
    this.drawMarkers(ctx, g);
    this.drawMinimap();
  }

  x(g, c) {
    return g.plotX + (c - g.t0) * g.scale;
  }

  drawLanes(ctx, g) {
    ctx.font = '12px system-ui, sans-serif';
    ctx.textBaseline = 'middle';
    ctx.textAlign = 'left';
    for (let b = 0; b < this.lanes.length; b++) {
      const l = this.lanes[b];
      ctx.fillStyle = LANE_COLORS.laneBg;
      ctx.fillRect(g.plotX, l.y, g.plotW, l.h);
      ctx.fillStyle = this.bucketColors[b % this.bucketColors.length];
      ctx.fillRect(2, l.y, 4, l.h);
      ctx.fillStyle = l.singers.length ? LANE_COLORS.text : LANE_COLORS.muted;
      const info = l.bucket;
      const label = `Bucket ${info.number} · ${info.delay_seconds} s`;
      const cy = l.y + Math.min(l.h / 2, 9);
      ctx.fillText(label, 10, cy);
      if (l.h >= 30) {
        ctx.fillStyle = LANE_COLORS.muted;
        ctx.fillText(`${info.singers} singer${info.singers === 1 ? '' : 's'}`, 10, cy + 15);
      }
    }
    // Problem ticks in the gutter, right next to the plot.
    ctx.fillStyle = LANE_COLORS.problem;
    const th = Math.max(2, this.rh);
    for (const r of this.rows) {
      if (r.singer.problems) ctx.fillRect(g.plotX - TICK_W - 2, r.y, TICK_W, th);
    }
  }

  /** The ring's fill along the time axis: a column is audio if any of its frames is. */
  drawStrip(ctx, g) {
    const s = this.state;
    const cols = Math.max(1, Math.floor(g.plotW));
    const perCol = (g.t1 - g.t0) / cols;
    const y = TOP;
    let runStart = 0;
    let runKind = null;
    const flush = (end) => {
      if (runKind === null) return;
      ctx.fillStyle = LANE_COLORS[runKind] || LANE_COLORS.background;
      ctx.fillRect(g.plotX + runStart, y, end - runStart, STRIP);
    };
    for (let i = 0; i < cols; i++) {
      const c0 = g.t0 + i * perCol;
      const c1 = c0 + perCol;
      const kind = columnKind(s, c0, c1);
      if (kind !== runKind) {
        flush(i);
        runStart = i;
        runKind = kind;
      }
    }
    flush(cols);
  }

  drawWindows(ctx, g) {
    const half = this.rh / 2;
    const colors = this.bucketColors;
    const minW = 1;
    // Read windows, pale; then write windows, solid. One fillStyle per bucket and kind.
    for (let pass = 0; pass < 2; pass++) {
      for (let b = 0; b < this.lanes.length; b++) {
        ctx.fillStyle = colors[b % colors.length];
        ctx.globalAlpha = pass === 0 ? 0.45 : 1;
        for (const gr of this.lanes[b].singers) {
          const r = this.rows[this.rowOf.get(gr.id)];
          const w = pass === 0 ? gr.read : gr.write;
          if (!w || w.end < g.t0 || w.begin > g.t1) continue;
          const x0 = this.x(g, Math.max(w.begin, g.t0));
          const x1 = this.x(g, Math.min(w.end, g.t1));
          ctx.fillRect(x0, r.y + (pass === 0 ? 0 : half), Math.max(minW, x1 - x0), half);
        }
      }
    }
    ctx.globalAlpha = 1;
    this.drawSelected(ctx, g);
  }

  drawSelected(ctx, g) {
    const i = this.selected ? this.rowOf.get(this.selected) : undefined;
    if (i === undefined) return;
    const r = this.rows[i];
    const gs = r.singer;
    const pad = 3;
    ctx.fillStyle = 'rgba(255,255,255,0.14)';
    ctx.fillRect(0, r.y - pad, g.cssW, this.rh + 2 * pad);
    ctx.strokeStyle = LANE_COLORS.selected;
    ctx.lineWidth = 1.5;
    for (const w of [gs.read, gs.write]) {
      if (!w) continue;
      const x0 = this.x(g, w.begin);
      const x1 = this.x(g, w.end);
      ctx.strokeRect(x0 - 1, r.y - pad, Math.max(2, x1 - x0 + 2), this.rh + 2 * pad);
    }
    ctx.fillStyle = LANE_COLORS.selected;
    ctx.font = 'bold 12px system-ui, sans-serif';
    ctx.textBaseline = 'bottom';
    ctx.textAlign = 'left';
    const anchor = gs.write ? gs.write.begin : gs.read.begin;
    const lx = Math.min(Math.max(g.plotX + 2, this.x(g, anchor) - 4), g.plotX + g.plotW - 160);
    ctx.fillText(`▶ ${gs.name}`, Math.max(g.plotX + 2, lx), r.y - pad - 1);
  }

  drawAxis(ctx, g) {
    const s = this.state;
    ctx.font = '11px system-ui, sans-serif';
    ctx.textBaseline = 'alphabetic';
    ctx.textAlign = 'center';
    const step = niceStep(this.span);
    const agoFirst = Math.ceil(((s.server_clock - g.t1) / RATE) / step) * step;
    ctx.strokeStyle = LANE_COLORS.grid;
    ctx.lineWidth = 1;
    for (let ago = Math.max(0, agoFirst); s.server_clock - ago * RATE >= g.t0; ago += step) {
      const x = Math.round(this.x(g, s.server_clock - ago * RATE)) + 0.5;
      ctx.beginPath();
      ctx.moveTo(x, TOP + STRIP);
      ctx.lineTo(x, this.cssH);
      ctx.stroke();
      if (ago > 0) {
        ctx.fillStyle = LANE_COLORS.muted;
        ctx.fillText(`−${+ago.toFixed(1)} s`, x, TOP - 4);
      }
    }
  }

  line(ctx, x, color, dashed, from = TOP) {
    ctx.strokeStyle = color;
    ctx.lineWidth = 2;
    ctx.setLineDash(dashed ? [4, 3] : []);
    ctx.beginPath();
    ctx.moveTo(x, from);
    ctx.lineTo(x, this.cssH);
    ctx.stroke();
    ctx.setLineDash([]);
  }

  flag(ctx, x, y, color, text, alignRight) {
    ctx.font = 'bold 11px system-ui, sans-serif';
    ctx.textBaseline = 'middle';
    ctx.textAlign = alignRight ? 'right' : 'left';
    ctx.fillStyle = color;
    ctx.beginPath(); // a small triangle pointing down at the line
    ctx.moveTo(x - 4, y - 4);
    ctx.lineTo(x + 4, y - 4);
    ctx.lineTo(x, y + 2);
    ctx.fill();
    ctx.fillText(text, alignRight ? x - 7 : x + 7, y - 2);
  }

  drawMarkers(ctx, g) {
    const s = this.state;
    const inView = (c) => c >= g.t0 && c <= g.t1;
    if (s.song_start_clock > 1 && inView(s.song_start_clock)) {
      const x = this.x(g, s.song_start_clock);
      this.line(ctx, x, LANE_COLORS.songStart, false, TOP + STRIP);
      this.flag(ctx, x, TOP + STRIP + 8, LANE_COLORS.songStart, 'song start', false);
    }
    if (s.song_end_clock > 1 && inView(s.song_end_clock)) {
      const x = this.x(g, s.song_end_clock);
      this.line(ctx, x, LANE_COLORS.songEnd, false, TOP + STRIP);
      this.flag(ctx, x, TOP + STRIP + 8, LANE_COLORS.songEnd, 'song end', false);
    }
    const nowX = this.x(g, s.server_clock);
    const nowIn = inView(s.server_clock);
    if (s.cleared_to !== null) {
      // The clear point is always shown: inside the view at its place (pushed left of "now"
      // when closer than the marker separation), otherwise pinned to the edge with an arrow.
      let x = this.x(g, s.cleared_to);
      let text = `cleared ${clearedText(s)}`;
      if (nowIn && inView(s.cleared_to) && nowX - x < MARKER_SEPARATION) x = nowX - MARKER_SEPARATION;
      if (s.cleared_to < g.t0) {
        x = g.plotX + 1;
        text = `◀ ${text}`;
      } else if (s.cleared_to > g.t1) {
        x = g.plotX + g.plotW - 1;
        text = `${text} ▶`;
      }
      this.line(ctx, x, LANE_COLORS.cleared, true, TOP + 6);
      this.flag(ctx, x, TOP - 2 - 11, LANE_COLORS.cleared, text, x > g.plotX + g.plotW / 2);
    }
    if (nowIn) {
      this.line(ctx, nowX, LANE_COLORS.now, false, TOP + 6);
      this.flag(ctx, nowX, TOP - 2, LANE_COLORS.now, 'now', true);
    }
  }

  drawMinimap() {
    const s = this.state;
    const m = this.mini;
    const ctx = this.mctx;
    const dpr = window.devicePixelRatio || 1;
    const cssW = m.clientWidth || 900;
    const cssH = 44;
    if (m.width !== Math.round(cssW * dpr) || m.height !== Math.round(cssH * dpr)) {
      m.width = Math.round(cssW * dpr);
      m.height = Math.round(cssH * dpr);
      m.style.height = `${cssH}px`;
    }
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.fillStyle = LANE_COLORS.background;
    ctx.fillRect(0, 0, cssW, cssH);
    const plotX = GUTTER;
    const plotW = cssW - GUTTER - RIGHT;
    const t1 = s.server_clock + FUTURE_S * s.ring_samples;
    const t0 = t1 - s.ring_samples;
    const scale = plotW / (t1 - t0);
    const x = (c) => plotX + (c - t0) * scale;
    // Occupancy on top, then one thin band per bucket with every write window.
    const cols = Math.floor(plotW);
    const per = (t1 - t0) / cols;
    for (let i = 0; i < cols; i++) {
      const kind = columnKind(s, t0 + i * per, t0 + (i + 1) * per);
      ctx.fillStyle = LANE_COLORS[kind] || LANE_COLORS.background;
      ctx.fillRect(plotX + i, 2, 1, 8);
    }
    const band = 5;
    for (let b = 0; b < this.lanes.length; b++) {
      ctx.fillStyle = this.bucketColors[b % this.bucketColors.length];
      const y = 12 + b * band;
      for (const gr of this.lanes[b].singers) {
        const w = gr.write || gr.read;
        ctx.fillRect(x(w.begin), y, Math.max(1, (w.end - w.begin) * scale), band - 1);
      }
    }
    const { t0: v0, t1: v1 } = this.range();
    ctx.strokeStyle = '#ffffff';
    ctx.lineWidth = 1.5;
    ctx.strokeRect(x(v0), 1, Math.max(3, (v1 - v0) * scale), cssH - 2);
    ctx.fillStyle = LANE_COLORS.muted;
    ctx.font = '11px system-ui, sans-serif';
    ctx.textAlign = 'left';
    ctx.textBaseline = 'middle';
    ctx.fillText('whole ring (120 s)', 8, cssH / 2);
    this.mgeom = { plotX, plotW, t0, t1 };
  }

  // -------------------------------------------------------------------------------------------
  // Interaction

  /** The singer drawn at CSS (x, y) of the main canvas, or null. */
  singerAt(y) {
    let best = null;
    for (const r of this.rows) {
      if (y >= r.y - 1 && y < r.y + this.rh + 1) best = r.singer;
    }
    return best;
  }

  clockAtX(x) {
    const g = this.geom;
    if (!g) return null;
    return g.t0 + (x - g.plotX) / g.scale;
  }

  bind() {
    const c = this.canvas;
    let drag = null;
    c.addEventListener('wheel', (e) => {
      if (!this.geom) return;
      e.preventDefault();
      const r = c.getBoundingClientRect();
      const frac = Math.min(1, Math.max(0, (e.clientX - r.left - this.geom.plotX) / this.geom.plotW));
      this.zoom(e.deltaY > 0 ? 1.25 : 0.8, frac);
      this.onSelect(this.selected, { viewOnly: true });
    }, { passive: false });
    c.addEventListener('pointerdown', (e) => {
      drag = { x: e.clientX, end: this.end, moved: false };
      c.setPointerCapture(e.pointerId);
    });
    c.addEventListener('pointermove', (e) => {
      const r = c.getBoundingClientRect();
      if (drag && this.geom) {
        const dx = e.clientX - drag.x;
        if (Math.abs(dx) > 3) drag.moved = true;
        if (drag.moved) {
          this.setView(this.span, drag.end + (dx / this.geom.plotW) * this.span);
          this.onSelect(this.selected, { viewOnly: true });
        }
      }
      const y = e.clientY - r.top;
      this.onHover(this.singerAt(y), { x: e.clientX - r.left, y, clock: this.clockAtX(e.clientX - r.left) });
    });
    c.addEventListener('pointerup', (e) => {
      const r = c.getBoundingClientRect();
      if (drag && !drag.moved) {
        const g = this.singerAt(e.clientY - r.top);
        this.onSelect(g ? g.id : null, {});
      }
      drag = null;
    });
    c.addEventListener('pointerleave', () => this.onHover(null, null));
    const m = this.mini;
    let mdrag = false;
    const centre = (e) => {
      const mg = this.mgeom;
      if (!mg) return;
      const r = m.getBoundingClientRect();
      const clock = mg.t0 + ((e.clientX - r.left - mg.plotX) / mg.plotW) * (mg.t1 - mg.t0);
      this.setView(this.span, (this.state.server_clock - clock) / RATE - this.span / 2);
      this.onSelect(this.selected, { viewOnly: true });
    };
    m.addEventListener('pointerdown', (e) => {
      mdrag = true;
      m.setPointerCapture(e.pointerId);
      centre(e);
    });
    m.addEventListener('pointermove', (e) => mdrag && centre(e));
    m.addEventListener('pointerup', () => {
      mdrag = false;
    });
  }
}

/** What a clock range of the ring shows: audio if any frame of it is occupied. */
export function columnKind(s, c0, c1) {
  if (c1 <= s.server_clock - s.ring_samples || c0 >= s.server_clock) return 'background';
  if (c0 >= s.occupancy.clock) return 'pending';
  const f0 = Math.floor(c0 / FRAME);
  const f1 = Math.max(f0 + 1, Math.ceil(Math.min(c1, s.occupancy.clock) / FRAME));
  const ringFrames = s.ring_frames;
  for (let f = f0; f < f1; f++) {
    const rf = ((f % ringFrames) + ringFrames) % ringFrames;
    if ((s.bits[rf >> 3] >> (rf & 7)) & 1) return 'occupied';
  }
  return 'empty';
}

export function clearedText(s) {
  if (s.cleared_to === null) return 'never';
  const ms = Math.round(((s.cleared_to - s.server_clock) / RATE) * 1000);
  return `${ms >= 0 ? '+' : '−'}${Math.abs(ms)} ms`;
}
