// Browser test of the operators' debug chart (web/debug.html) against a real brigade-server fed
// by brigade-sim-singers, which uploads real Opus audio in 1.8 s stripes and logs every accepted
// upload. The chart's pixels must show audio exactly where uploads landed and silence where
// nobody wrote; the singers must be listed. Saves build/artifacts/debug.png.

import test from 'node:test';
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

const SINGERS = 12;
const RATE = 48000;
const FRAME = 128;
/** Frames of margin kept from the edge of any upload when choosing pixels to sample. */
const EDGE_FRAMES = 3;

const missing = missingPrerequisite();
if (missing) console.log(`BRIGADE-SKIP: browser tests skipped: ${missing}`);

/** The palette entry nearest to an RGB triple. */
function classify(rgb, palette) {
  let best = null;
  let bestD = Infinity;
  for (const [name, hex] of Object.entries(palette)) {
    const v = parseInt(hex.slice(1), 16);
    const d = Math.abs(rgb[0] - ((v >> 16) & 255)) + Math.abs(rgb[1] - ((v >> 8) & 255)) + Math.abs(rgb[2] - (v & 255));
    if (d < bestD) {
      bestD = d;
      best = name;
    }
  }
  return best;
}

test('debug chart colours the frames singers wrote, and only those', { skip: missing || false, timeout: 240000 }, async () => {
  const chromium = await loadPlaywright();
  const server = await startServer();
  const sim = startSimSingers(server.port, { singers: SINGERS });
  let context;
  try {
    context = await chromium.launchPersistentContext(tmpDir('debug-profile'), {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1200, height: 1000 },
      args: CHROMIUM_ARGS,
    });
    const page = context.pages()[0] || (await context.newPage());
    const errors = [];
    page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
    page.on('console', (m) => m.type() === 'error' && errors.push(`console: ${m.text()}`));
    await page.goto(`${server.url}debug.html`);

    await waitFor('the simulated choir to start', () => sim.ready, 20000);
    // Enough stripes on the chart: every singer has uploaded for a few seconds.
    await waitFor('uploads from the choir', () => sim.writes.length >= 6 * SINGERS, 60000);
    await waitFor('all singers listed', async () => (await page.locator('#singers tbody tr').count()) === SINGERS);
    assert.deepEqual(sim.problems, [], 'every exchange of the simulated singers succeeded');

    // Freeze the chart on a snapshot taken after a known set of uploads, windows hidden.
    await page.getByLabel('read windows').uncheck();
    await page.getByLabel('write windows').uncheck();
    await page.evaluate(() => window.brigadeDebug.pause(true));
    await new Promise((r) => setTimeout(r, 600)); // let an in-flight poll land (and be ignored)
    const before = sim.writes.slice();
    await page.evaluate(() => window.brigadeDebug.refresh());
    const after = sim.writes.slice();
    const s = await page.evaluate(() => {
      const st = window.brigadeDebug.state;
      return {
        now: st.server_clock,
        occ: st.occupancy.clock,
        ring: st.ring_samples,
        songStart: st.song_start_clock,
        cleared: st.cleared_to,
        occupiedFrames: st.occupancy.occupied_frames,
      };
    });
    assert.ok(s.songStart > 1, 'a song is in progress');
    assert.ok(s.occupiedFrames > 0, 'the server reports occupied frames');

    const markers = [s.now, s.occ, s.songStart, s.cleared];
    const nearMarker = (c) => markers.some((m) => Math.abs((((c - m) % RATE) + RATE + RATE / 2) % RATE - RATE / 2) < 0.03 * RATE);
    const onChart = (c) => c >= s.now - s.ring + RATE && c + FRAME * (EDGE_FRAMES + 1) <= s.occ;
    const frameStart = (c) => Math.floor(c / FRAME) * FRAME;

    // Audio expected: frames well inside uploads logged before the snapshot was requested.
    const seen = new Set();
    const loud = [];
    for (const w of before) {
      if (seen.has(w.begin)) continue;
      seen.add(w.begin);
      for (let q = 0.1; q < 1; q += 0.2) {
        const c = frameStart(w.begin + (w.end - w.begin) * q);
        if (onChart(c) && !nearMarker(c)) loud.push(c);
      }
    }
    // Silence expected: frames at least EDGE_FRAMES away from every upload logged so far
    // (a superset of what the snapshot can contain), across the whole visible ring.
    const nearUpload = (c) =>
      after.some((w) => c + FRAME * (EDGE_FRAMES + 1) > w.begin && c - FRAME * EDGE_FRAMES < w.end);
    const quiet = [];
    for (let c = frameStart(s.now - s.ring + RATE); c < s.occ; c += 37 * FRAME) {
      if (onChart(c) && !nearMarker(c) && !nearUpload(c)) quiet.push(c);
    }
    assert.ok(loud.length >= 20, `enough written frames to sample (${loud.length})`);
    assert.ok(quiet.length >= 50, `enough unwritten frames to sample (${quiet.length})`);

    const sample = (clocks) =>
      page.evaluate((cs) => {
        const canvas = document.getElementById('chart');
        const ctx = canvas.getContext('2d');
        return cs.map((c) => {
          const p = window.brigadeDebug.clockToPixel(c);
          if (!p) return null;
          return [c, Array.from(ctx.getImageData(p.x, p.y, 1, 1).data.slice(0, 3))];
        });
      }, clocks);
    const colors = await page.evaluate(() => window.brigadeDebug.colors);
    const palette = { occupied: colors.occupied, empty: colors.empty, pending: colors.pending, outside: colors.outside };
    const wrong = (results, want) =>
      results.filter((r) => r === null || classify(r[1], palette) !== want).map((r) => (r ? `${r[0]}:${classify(r[1], palette)}` : 'off-chart'));
    assert.deepEqual(wrong(await sample(loud), 'occupied'), [], 'written frames are drawn as audio');
    assert.deepEqual(wrong(await sample(quiet), 'empty'), [], 'unwritten frames are drawn as silence');

    // The singers are listed, with their buckets.
    const names = await page.locator('#singers tbody th').allTextContents();
    for (const n of ['Ada', 'Ben', 'Cleo', 'Dev', 'Eun', 'Fay']) assert.ok(names.includes(n), `${n} is listed`);
    assert.equal(await page.locator('#s-singers').textContent(), String(SINGERS));
    assert.match(await page.locator('#legend').textContent(), /Bucket 6 · 18 s · 2 singers/);

    // Live again with every overlay, then keep a picture for people.
    await page.getByLabel('read windows').check();
    await page.getByLabel('write windows').check();
    await page.evaluate(() => window.brigadeDebug.pause(false));
    const drawn = await page.evaluate(() => window.brigadeDebug.framesDrawn);
    await waitFor('the chart to redraw live', async () => (await page.evaluate(() => window.brigadeDebug.framesDrawn)) >= drawn + 3);
    const box = await page.locator('#chart').boundingBox();
    await page.mouse.move(box.x + box.width * 0.45, box.y + 22 + 5 * 8 + 2);
    await page.screenshot({ path: artifactPath('debug.png'), fullPage: true });
    assert.deepEqual(errors, [], 'no page errors');
  } finally {
    if (context) await context.close();
    await sim.stop();
    await server.stop();
  }
});
