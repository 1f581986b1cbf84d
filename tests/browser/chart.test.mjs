// The operators' chart at 1,000 singers: a synthetic debug state (the compact form the server
// sends, with four deliberately broken singers) is pushed to web/debug.html over its debug
// stream in place of the live one. Measures the time to draw every canvas with performance.now() and reports it; the
// problems list must name exactly the broken singers, and clicking one highlights its windows.
// Saves build/artifacts/chart-1000.png and chart-1000-selected.png.

import test from 'node:test';
import assert from 'node:assert/strict';
import { missingPrerequisite, loadPlaywright, tmpDir, startServer, artifactPath, CHROMIUM, CHROMIUM_ARGS } from './harness.mjs';

const RATE = 48000;
const RING_SAMPLES = 5760000;
const RING_FRAMES = 45000;
const N = 1000;
const DRAWS = 40;
/** The goal is 16 ms a frame; on this shared 2-core machine the median is asserted with
 * a wide margin (a loaded machine must not fail the test) and the real numbers are printed. */
const MEDIAN_LIMIT_MS = 48;

const missing = missingPrerequisite();
if (missing) console.log(`BRIGADE-SKIP: browser tests skipped: ${missing}`);

const FIELDS = ['id', 'name', 'delay_ms', 'bucket', 'read_begin_ago', 'read_end_ago', 'write_begin_ago', 'write_end_ago', 'rms', 'mic_volume', 'flags', 'problems', 'late_ms', 'write_offset_ms', 'offset_from_peers_ms', 'silent_s', 'since_last_s', 'peak', 'reconnects', 'codec_resets'];
const KINDS = ['late', 'missing', 'miscalibrated', 'silent', 'clipping', 'reconnects', 'codec_resets'];
/** The broken singers: id → [problem, fields to override]. */
const BROKEN = {
  1234: ['miscalibrated', { write_offset_ms: 560, offset_from_peers_ms: 410 }],
  1500: ['late', { late_ms: 420 }],
  1777: ['silent', { silent_s: 14.2, rms: 0 }],
  1901: ['clipping', { peak: 1 }],
};

/** A debug state of N singers over six buckets, 100 s of song, in the server's compact form. */
function syntheticState() {
  const now = 86_000_000_000;
  const bits = Buffer.alloc(RING_FRAMES / 8 + 1);
  // Audio in 1.8 s stripes over the last 100 s, as a choir's phrases.
  for (let c = now - 100 * RATE; c < now - RATE / 10; c += 128) {
    if (Math.floor(c / (1.8 * RATE)) % 3 !== 2) {
      const f = Math.floor((c % RING_SAMPLES) / 128);
      bits[f >> 3] |= 1 << (f & 7);
    }
  }
  const occupied = [...bits].reduce((n, b) => n + b.toString(2).split('1').length - 1, 0);
  const singers = [];
  const counts = Object.fromEntries(KINDS.map((k) => [k, 0]));
  for (let i = 0; i < N; i++) {
    const id = 1000 + i;
    const bucket = i % 6;
    const delayMs = (3 + 3 * bucket) * 1000 + 60 + (i % 13) * 7;
    const readEnd = Math.round((delayMs / 1000) * RATE) - (i % 10) * 2880;
    const row = {
      id: String(id),
      name: `Singer ${id}`,
      delay_ms: delayMs,
      bucket,
      read_begin_ago: readEnd + 28800,
      read_end_ago: readEnd,
      write_begin_ago: readEnd + 28800 + 7200,
      write_end_ago: readEnd + 7200,
      rms: 0.12,
      mic_volume: 1,
      flags: i === 0 ? 1 : 0,
      problems: 0,
      late_ms: 0,
      write_offset_ms: 150,
      offset_from_peers_ms: 0,
      silent_s: 0,
      since_last_s: 0.3,
      peak: 0.5,
      reconnects: 1,
      codec_resets: 0,
    };
    if (BROKEN[id]) {
      const [kind, fields] = BROKEN[id];
      Object.assign(row, fields);
      row.problems = 1 << KINDS.indexOf(kind);
      if (kind === 'miscalibrated') {
        row.write_begin_ago += Math.round(0.41 * RATE);
        row.write_end_ago += Math.round(0.41 * RATE);
      }
      counts[kind]++;
    }
    singers.push(FIELDS.map((f) => row[f]));
  }
  const buckets = [0, 1, 2, 3, 4, 5].map((b) => ({
    number: b + 1,
    delay_seconds: 3 + 3 * b,
    singers: singers.filter((s) => s[3] === b).length,
    median_delay_seconds: 3 + 3 * b + 0.1,
    leader: b === 0 ? 'Singer 1000' : null,
  }));
  return {
    format: 'compact',
    server_clock: now,
    server_sample_rate: RATE,
    cleared_to: now - 1800,
    frame_samples: 128,
    ring_frames: RING_FRAMES,
    ring_samples: RING_SAMPLES,
    occupancy: { clock: now - 1800, bits_base64: bits.subarray(0, 5625).toString('base64'), runs: [], occupied_frames: occupied },
    song_start_clock: now - 100 * RATE,
    song_end_clock: 0,
    first_bucket: 3,
    requests_per_second: 1700,
    n_active_singers: N,
    buckets,
    problem_counts: counts,
    singer_fields: FIELDS,
    singers,
  };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const pct = (xs, q) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * q))];

test('chart draws 1,000 singers, lists the broken ones, highlights the one clicked', { skip: missing || false, timeout: 180000 }, async () => {
  const chromium = await loadPlaywright();
  const server = await startServer();
  const state = syntheticState();
  const body = JSON.stringify(state);
  const timers = [];
  let context;
  try {
    context = await chromium.launchPersistentContext(tmpDir('chart-profile'), {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1400, height: 1000 },
      args: CHROMIUM_ARGS,
    });
    const page = context.pages()[0] || (await context.newPage());
    const errors = [];
    page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
    page.on('console', (m) => m.type() === 'error' && errors.push(`console: ${m.text()}`));
    // The page's debug stream pushes this state (every second) instead of the (empty) live room's.
    await page.routeWebSocket('**/api/debug/stream*', (ws) => {
      ws.send(body);
      const timer = setInterval(() => ws.send(body), 1000);
      timers.push(timer);
      ws.onClose(() => clearInterval(timer));
    });
    await page.goto(`${server.url}debug.html`);
    await page.waitForFunction((n) => window.brigadeDebug.state && window.brigadeDebug.state.singers.length === n, N);
    assert.equal(await page.locator('#source').textContent(), 'live: stream');
    await page.evaluate(() => window.brigadeDebug.pause(true));
    console.log(`# synthetic state: ${N} singers, ${(body.length / 1024).toFixed(0)} KiB of JSON`);

    // Frame time: every canvas (lanes, minimap, ring) drawn from the same state, DRAWS times.
    const times = await page.evaluate((draws) => {
      const out = [];
      for (let i = 0; i < draws; i++) {
        const t = performance.now();
        window.brigadeDebug.drawCharts();
        out.push(performance.now() - t);
      }
      return out;
    }, DRAWS);
    const m = median(times);
    console.log(`# draw of ${N} singers: median ${m.toFixed(2)} ms, p90 ${pct(times, 0.9).toFixed(2)} ms, min ${Math.min(...times).toFixed(2)} ms over ${DRAWS} frames (goal 16 ms)`);
    assert.ok(m < MEDIAN_LIMIT_MS, `median draw ${m.toFixed(1)} ms within ${MEDIAN_LIMIT_MS} ms`);

    // The problems list names exactly the broken singers, one row each, with their problem.
    const rows = page.locator('#problems tbody tr');
    await page.waitForFunction(() => document.querySelectorAll('#problems tbody tr').length > 0);
    const listed = await rows.evaluateAll((trs) => trs.map((tr) => [tr.dataset.id, tr.dataset.kind]));
    assert.deepEqual(
      listed.map(([id, kind]) => `${id}:${kind}`).sort(),
      Object.entries(BROKEN).map(([id, [kind]]) => `${id}:${kind}`).sort(),
    );
    assert.match(await page.locator('#problem-summary').textContent(), /1 mis-calibrated/);
    // Sortable: by singer name, descending after two clicks.
    await page.locator('#problems th[data-key="singer"] button').click();
    await page.locator('#problems th[data-key="singer"] button').click();
    const names = await page.locator('#problems tbody th').allTextContents();
    assert.deepEqual(names, [...names].sort().reverse());
    // Buckets numbered as the singer page does, from the server's data.
    assert.match(await page.locator('#legend').textContent(), /Bucket 1 · 3 s · 167 singers, leader Singer 1000/);
    assert.match(await page.locator('#legend').textContent(), /Bucket 6 · 18 s · 166 singers/);
    await page.screenshot({ path: artifactPath('chart-1000.png'), fullPage: true });

    // Clicking the mis-calibrated singer highlights its windows on the lanes.
    const whiteAt = (id) =>
      page.evaluate((sid) => {
        const p = window.brigadeDebug.lanePlace(sid);
        if (!p || !p.write) return null;
        const ctx = document.getElementById('lanes').getContext('2d');
        // The highlight's outline runs 3 px above the row, along the write window.
        const x = Math.round(((p.write[0] + p.write[1]) / 2) * p.dpr);
        const y = Math.round((p.y - 3) * p.dpr);
        const [r, g, b] = ctx.getImageData(x, y, 1, 1).data;
        return r > 200 && g > 200 && b > 200;
      }, id);
    assert.equal(await whiteAt('1234'), false, 'not highlighted before the click');
    await page.locator('#problems tbody tr[data-kind="miscalibrated"] button').click();
    await page.waitForFunction(() => window.brigadeDebug.selected === '1234');
    await page.evaluate(() => window.brigadeDebug.drawCharts());
    assert.equal(await whiteAt('1234'), true, 'the selected singer\'s write window is outlined');
    assert.equal(await whiteAt('1235'), false, 'its neighbour is not');
    assert.equal(await page.locator('#singers tbody tr.selected').getAttribute('data-id'), '1234');
    assert.equal(await page.locator('#problems tbody tr.selected').getAttribute('data-id'), '1234');

    // Zoom in around now: the clear point (1.8 ms behind now) stays drawn apart from "now".
    await page.locator('#zoom-now').click();
    await page.evaluate(() => window.brigadeDebug.drawCharts());
    const view = await page.evaluate(() => window.brigadeDebug.view);
    assert.equal(view.span, 10);
    await page.screenshot({ path: artifactPath('chart-1000-selected.png'), fullPage: false });
    assert.deepEqual(errors, [], 'no page errors');
  } finally {
    for (const t of timers) clearInterval(t);
    if (context) await context.close();
    await server.stop();
  }
});
