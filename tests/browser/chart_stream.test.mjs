// Where the operators' chart (web/debug.html) gets its data, against a real brigade-server
// (--private, so the operator's token must reach the stream) fed by brigade-sim-singers:
// 1. by default the chart draws from the debug stream (/api/debug/stream): with every poll of
//    /api/debug/state refused, the singers' rows, their windows on the lanes and the ring's
//    occupancy appear while the stream's socket receives frames, and the page says "live: stream";
// 2. with the upgrade blocked (the stream pointed at a closed port, as a proxy that refuses
//    upgrades), the chart polls, still updates, and says "live: polling";
// 3. with a stream that keeps dropping, the chart settles on polling after MAX_DROPS drops.
// Saves build/artifacts/chart-stream.png.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  missingPrerequisite,
  loadPlaywright,
  tmpDir,
  startServer,
  startSimSingers,
  waitFor,
  artifactPath,
  CHROMIUM,
  CHROMIUM_ARGS,
} from './harness.mjs';
import { MAX_DROPS } from '../../web/debug-source.js';

const TOKEN = 'chart-stream-operator-token';
const SINGERS = 2;

const missing = missingPrerequisite();
if (missing) console.log(`BRIGADE-SKIP: browser tests skipped: ${missing}`);

/** Points the page's debug stream at a closed port: the upgrade fails. */
const BLOCK_STREAM = `(() => {
  const Real = window.WebSocket;
  window.WebSocket = class extends Real {
    constructor(url, protocols) {
      super(String(url).includes('/api/debug/stream') ? 'ws://127.0.0.1:9/blocked' : url, protocols);
    }
  };
})();`;

/** Opens the chart with counters: polls of /api/debug/state, stream sockets and their frames. */
async function openChart(context, { path = 'debug.html', blockPolls = false, init = null, route = null } = {}) {
  const page = await context.newPage();
  const seen = { polls: 0, sockets: [], frames: 0, whole: 0, deltas: 0, wholeBytes: 0, deltaBytes: 0, errors: [] };
  page.on('pageerror', (e) => seen.errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => m.type() === 'error' && seen.errors.push(`console: ${m.text()}`));
  await page.route('**/api/debug/state*', (r) => {
    seen.polls++;
    return blockPolls ? r.abort() : r.continue();
  });
  page.on('websocket', (ws) => {
    if (!ws.url().includes('/api/debug/stream')) return;
    seen.sockets.push(ws.url());
    ws.on('framereceived', (f) => {
      seen.frames++;
      const text = String(f.payload);
      if (text.startsWith('{"format":"delta"')) {
        seen.deltas++;
        seen.deltaBytes += text.length;
      } else if (text.startsWith('{"format":"compact"')) {
        seen.whole++;
        seen.wholeBytes += text.length;
      }
    });
  });
  if (init) await page.addInitScript(init);
  if (route) await page.routeWebSocket('**/api/debug/stream*', route);
  await page.goto(`${server.url}${path}?token=${TOKEN}`);
  return { page, seen };
}

/** What the chart shows now: its data source, status, rows, and pixels of the ring and lanes. */
const look = (page) =>
  page.evaluate(() => {
    const d = window.brigadeDebug;
    const s = d.state;
    const hex = (h) => [1, 3, 5].map((i) => parseInt(h.slice(i, i + 2), 16));
    // Pixels of the ring drawn in the "occupied" colour.
    const ring = document.getElementById('chart');
    const [r0, g0, b0] = hex(d.colors.occupied);
    const px = ring.getContext('2d').getImageData(0, 0, ring.width, ring.height).data;
    let occupiedPixels = 0;
    for (let i = 0; i < px.length; i += 4) if (px[i] === r0 && px[i + 1] === g0 && px[i + 2] === b0) occupiedPixels++;
    // Each singer's write window on the lanes: the pixel at its middle, lower half of its row.
    const lanes = document.getElementById('lanes').getContext('2d');
    const writes = (s ? s.singers : []).map((g) => {
      const p = d.lanePlace(g.id);
      if (!p || !p.write) return { id: g.id, drawn: false };
      const x = Math.round(((p.write[0] + p.write[1]) / 2) * p.dpr);
      const y = Math.round((p.y + p.rowHeight * 0.75) * p.dpr);
      const [r, gg, b] = lanes.getImageData(x, y, 1, 1).data;
      const [br, bg, bb] = hex(d.bucketColors[g.bucket % d.bucketColors.length]);
      return { id: g.id, drawn: Math.abs(r - br) + Math.abs(gg - bg) + Math.abs(b - bb) < 40 };
    });
    const source = document.getElementById('source');
    let bitCount = 0;
    for (const byte of s ? s.bits : []) for (let v = byte; v; v &= v - 1) bitCount++;
    return {
      bitCount,
      occupiedFrames: s ? s.occupancy.occupied_frames : 0,
      ids: s ? s.singers.map((g) => g.id).sort() : [],
      source: source.textContent,
      why: source.title,
      status: document.getElementById('status').textContent,
      clock: s ? s.server_clock : null,
      singers: s ? s.singers.length : 0,
      rows: document.querySelectorAll('#singers tbody tr').length,
      activeText: document.getElementById('s-singers').textContent,
      framesDrawn: d.framesDrawn,
      occupiedPixels,
      writes,
    };
  });

let chromium;
let server;
let sim;
let context;

describe('the chart\'s data source', { skip: missing || false }, () => {
  before(async () => {
    chromium = await loadPlaywright();
    server = await startServer(0, ['--private', '--operator-token', TOKEN]);
    context = await chromium.launchPersistentContext(tmpDir('chart-stream-profile'), {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1200, height: 1000 },
      args: CHROMIUM_ARGS,
    });
  });
  after(async () => {
    if (context) await context.close();
    if (sim) await sim.stop();
    if (server) await server.stop();
  });

  test('the chart draws from the stream: no polling, singers and audio appear', { timeout: 120000 }, async () => {
    const { page, seen } = await openChart(context, { blockPolls: true });
    await waitFor('the first state from the stream', async () => (await look(page)).clock !== null, 15000);
    const empty = await look(page);
    assert.equal(empty.source, 'live: stream');
    assert.equal(empty.singers, 0, 'nobody sings yet');
    assert.equal(empty.occupiedPixels, 0, 'the ring is empty');
    assert.equal(seen.sockets.length, 1, 'one stream socket');
    const url = new URL(seen.sockets[0]);
    assert.equal(url.pathname, '/api/debug/stream');
    assert.equal(url.searchParams.get('compact'), '1');
    assert.equal(url.searchParams.get('delta'), '1', 'the chart asks for deltas');
    assert.equal(seen.whole, 1, 'a whole state first');
    assert.equal(url.searchParams.get('token'), TOKEN, 'the operator token reaches the stream');
    const framesBefore = seen.frames;

    sim = startSimSingers(server.port, { singers: SINGERS, seconds: 120 });
    await waitFor('the simulated singers to start', () => sim.ready, 20000);
    let now;
    await waitFor('the singers, their windows and their audio on the chart', async () => {
      now = await look(page);
      return now.rows === SINGERS && now.writes.length === SINGERS && now.writes.every((w) => w.drawn) && now.occupiedPixels > 0;
    }, 60000);
    assert.deepEqual(sim.problems, [], 'every exchange of the simulated singers succeeded');
    assert.equal(now.activeText, String(SINGERS));
    // The bitmap the page rebuilt from the deltas' words holds exactly the frames the server counts.
    assert.equal(now.bitCount, now.occupiedFrames, 'the rebuilt bitmap matches the server\'s count');
    const whole = await (await fetch(`${server.url}api/debug/state?compact=1`, { headers: { 'X-Operator-Token': TOKEN } })).json();
    assert.deepEqual(now.ids, whole.singers.map((r) => r[0]).sort(), 'the same singers as the server\'s whole state');
    assert.ok(now.clock > empty.clock, 'the state moved on');
    assert.ok(now.framesDrawn > empty.framesDrawn, 'the chart redrew');
    assert.ok(seen.frames - framesBefore >= 3, `the stream pushed states (${seen.frames - framesBefore} frames)`);
    // The singers were not there in the first (whole) state: what shows them came as deltas.
    assert.ok(seen.deltas >= 3, `deltas came (${seen.deltas}, ${seen.whole} whole)`);
    assert.equal(seen.whole + seen.deltas, seen.frames, 'every message is a whole state or a delta');
    assert.equal(seen.polls, 0, 'nothing was polled');
    assert.equal(seen.sockets.length, 1, 'the stream stayed open');
    assert.equal(now.source, 'live: stream');
    assert.match(now.status, /^Live/);
    console.log(`# stream: ${seen.frames} states in (${seen.whole} whole, ${seen.deltas} deltas of ${Math.round(seen.deltaBytes / seen.deltas)} B on average), ${now.framesDrawn} frames drawn, ${now.occupiedPixels} occupied pixels, 0 polls`);
    await page.screenshot({ path: artifactPath('chart-stream.png'), fullPage: false });
    assert.deepEqual(seen.errors, [], 'no page errors');
    await page.close();
  });

  test('a named room\'s chart opens that room\'s stream', { timeout: 60000 }, async () => {
    const { page, seen } = await openChart(context, { path: 'r/alto/debug.html', blockPolls: true });
    await waitFor('a state from alto\'s stream', async () => (await look(page)).clock !== null, 15000);
    assert.equal(new URL(seen.sockets[0]).pathname, '/r/alto/api/debug/stream');
    const s = await look(page);
    assert.equal(s.singers, 0, 'the singers of the default room are not alto\'s');
    assert.equal(s.source, 'live: stream');
    assert.equal(seen.polls, 0);
    assert.deepEqual(seen.errors, []);
    await page.close();
  });

  /** The chart, fed by polling, shows the live singers and keeps updating. */
  async function pollsAndUpdates(page, seen, why) {
    let first;
    await waitFor('the page to settle on polling', async () => (await look(page)).source === 'live: polling', 30000);
    await waitFor('the polled chart to show the singers and their audio', async () => {
      first = await look(page);
      return first.rows === SINGERS && first.writes.every((w) => w.drawn) && first.occupiedPixels > 0;
    }, 30000);
    assert.equal(first.source, 'live: polling', 'the page says it polls');
    assert.match(first.why, why);
    const polls = seen.polls;
    await waitFor('the polled chart to update', async () => {
      const s = await look(page);
      return s.clock > first.clock + 48000 && s.framesDrawn > first.framesDrawn;
    }, 15000);
    assert.ok(seen.polls >= polls + 3, `it kept polling (${seen.polls - polls} polls)`);
    assert.match((await look(page)).status, /^Live · 5 Hz/);
  }

  test('with the upgrade blocked, the chart polls and still updates', { timeout: 60000 }, async () => {
    const { page, seen } = await openChart(context, { init: BLOCK_STREAM });
    await pollsAndUpdates(page, seen, /the stream could not open/);
    assert.equal(seen.frames, 0, 'no state came over a stream');
    // Chromium reports the refused upgrade on the console; nothing else may go wrong.
    assert.deepEqual(seen.errors.filter((e) => !/WebSocket connection to 'ws:\/\/127\.0\.0\.1:9\/blocked' failed/.test(e)), []);
    await page.close();
  });

  test(`a stream that drops ${MAX_DROPS} times gives way to polling`, { timeout: 60000 }, async () => {
    let opened = 0;
    const { page, seen } = await openChart(context, {
      // Each stream passes the server's states for 0.6 s, then is cut.
      route: (ws) => {
        opened++;
        ws.connectToServer();
        setTimeout(() => ws.close({ code: 1011, reason: 'test: dropped' }), 600);
      },
    });
    await pollsAndUpdates(page, seen, new RegExp(`the stream dropped ${MAX_DROPS} times`));
    assert.equal(opened, MAX_DROPS, 'the stream was reopened until the last drop, then left');
    assert.deepEqual(seen.errors, []);
    await page.close();
  });
});
