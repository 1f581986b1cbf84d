// A singer whose clock drifts from the server's re-anchors (web/clock-drift.js), and the re-anchor
// keeps the singer's phase (web/reconnect.js): the new connection's first exchange goes when the
// old connection's next one was due, and reads on from the old connection's last read. The drift
// is made by this test, not by the page: over HTTP, a route moves `server_clock` in every exchange
// reply 5 ms further than the last, so the page's window minimum passes half a frame after about
// 16 replies (~10 s). The clock GET is left alone, so a new connection starts on the true clock.

import test from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { missingPrerequisite, loadPlaywright, writeSineWav, tmpDir, startServer, launchSinger, joinChain, stats, waitFor } from './harness.mjs';
import { recordApi, connectionsOf, clockProblems } from './traffic.mjs';

const missing = missingPrerequisite();
if (missing) console.log(`BRIGADE-SKIP: browser tests skipped: ${missing}`);

const BATCH = 28800;
const FRAME = 2880;
const BATCH_SECONDS = 0.6;
const DRIFT_PER_REPLY = 240; // samples (5 ms)

/**
 * Moves server_clock in every exchange reply of `page` by DRIFT_PER_REPLY more than the last. The
 * reply's metadata is the body's first `metadata_len` bytes (X-Audio-Metadata says how many).
 */
async function driftReplies(page) {
  let replies = 0;
  await page.route(
    (url) => url.pathname === '/api' && url.search !== '',
    async (route) => {
      if (route.request().method() !== 'POST') return route.continue();
      const response = await route.fetch();
      const { 'content-length': _, ...headers } = response.headers();
      const body = await response.body();
      const header = JSON.parse(headers['x-audio-metadata'] || '{}');
      if (response.status() !== 200 || !Number.isInteger(header.metadata_len)) return route.fulfill({ response });
      const rest = body.subarray(header.metadata_len);
      const meta = JSON.parse(body.subarray(0, header.metadata_len).toString('utf8'));
      meta.server_clock += ++replies * DRIFT_PER_REPLY;
      const metaBytes = Buffer.from(JSON.stringify(meta));
      header.metadata_len = metaBytes.length;
      headers['x-audio-metadata'] = JSON.stringify(header);
      await route.fulfill({ status: 200, headers, body: Buffer.concat([metaBytes, rest]) });
    },
  );
}

test('a drifting singer re-anchors on its old connection\'s cadence', { skip: missing || false, timeout: 150000 }, async () => {
  const chromium = await loadPlaywright();
  const server = await startServer();
  const wav = writeSineWav(path.join(tmpDir('wav'), 'drift.wav'), 440, { seconds: 60 });
  const s = await launchSinger(chromium, { wav, url: `${server.url}?transport=http` });
  try {
    await driftReplies(s.page);
    const log = recordApi(s.page);
    await joinChain(s.page, { name: 'Drift' });
    // Two re-anchors, and the second one's connection under way.
    await waitFor('two re-anchors', async () => connectionsOf(log).length >= 3 && connectionsOf(log).at(-1).exchanges.length >= 2, 60000);
    const st = await stats(s.page);
    assert.equal(st.transport, 'http');
    assert.ok(st.reanchors >= 2, `${st.reanchors} re-anchors`);
    assert.equal(st.errors, 0, `exchange errors: ${st.lastError}`);
    assert.deepEqual(s.errors, [], 'no page errors');

    // The first connection is the join; every later one is a re-anchor (nothing else reconnects).
    const conns = connectionsOf(log);
    assert.ok(conns.length >= 3, `${conns.length} connections`);
    for (let i = 1; i < conns.length; i++) {
      const last = conns[i - 1].exchanges.at(-1);
      const first = conns[i].exchanges[0];
      assert.equal(first.params.get('reset_user_state'), 'true', `connection ${i} starts afresh`);
      const wait = first.t - last.t;
      console.log(`re-anchor ${i}: first exchange ${wait.toFixed(3)} s after the last, read clock moved ${first.readClock - last.readClock}`);
      assert.ok(Math.abs(wait - BATCH_SECONDS) < 0.2, `re-anchor ${i}: ${wait.toFixed(3)} s after the old connection's last exchange`);
      assert.ok(Math.abs(first.readClock - (last.readClock + BATCH)) <= FRAME, `re-anchor ${i}: reads on from the old connection's`);
      if (i < conns.length - 1) assert.deepEqual(clockProblems(conns[i]), [], `connection ${i}'s clocks`);
    }
  } finally {
    await s.context.close();
    await server.stop();
  }
});
