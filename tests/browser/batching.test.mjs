// The page sends what the design and the original client send: one exchange per 600 ms batch
// (n_samples = 28800), read and write clocks advancing together with no gap or overlap; on its
// WebSocket (the default) the summary comes pushed and no exchange asks for it (over HTTP it
// echoes the user-summary version so unchanged summaries are left out). Two singers sing for
// more than 20 s while every request to /api is recorded.

import test from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { missingPrerequisite, loadPlaywright, writeSineWav, tmpDir, startServer, launchSinger, joinChain, stats, waitFor } from './harness.mjs';
import { recordApi, connectionsOf, clockProblems, exchangeRate } from './traffic.mjs';

const missing = missingPrerequisite();
if (missing) console.log(`BRIGADE-SKIP: browser tests skipped: ${missing}`);

const BATCH = 28800;
const RECORD_SECONDS = 22;

test('the page sends one 600 ms exchange per batch, clocks in lockstep', { skip: missing || false, timeout: 150000 }, async () => {
  const chromium = await loadPlaywright();
  const dir = tmpDir('wav');
  const server = await startServer();
  const singers = [];
  try {
    for (const [name, freq] of [['Al', 440], ['Bea', 660]]) {
      const s = await launchSinger(chromium, { wav: writeSineWav(path.join(dir, `${name}.wav`), freq, { seconds: 40 }), url: server.url });
      s.log = recordApi(s.page);
      singers.push(s);
      await joinChain(s.page, { name });
    }
    for (const s of singers) await waitFor('uploading', async () => (await stats(s.page)).uploading, 20000);
    await new Promise((r) => setTimeout(r, RECORD_SECONDS * 1000));

    for (const s of singers) {
      const conns = connectionsOf(s.log);
      assert.equal(conns.length, 1, 'one connection (no reconnect without a reason)');
      const [conn] = conns;
      const ex = conn.exchanges;
      const seconds = ex[ex.length - 1].t - ex[0].t;
      assert.ok(seconds >= 20, `recorded ${seconds.toFixed(1)} s`);
      const rate = exchangeRate(conn);
      console.log(`${s.log.length} requests; ${ex.length} exchanges in ${seconds.toFixed(1)} s = ${rate.toFixed(3)}/s; first writes at exchange ${ex.findIndex((e) => e.writeClock !== null)}`);
      assert.ok(rate >= 1.5 && rate <= 1.9, `${rate.toFixed(3)} exchanges per second`);

      // The first exchange: read only, starting the connection.
      const first = ex[0];
      assert.equal(first.params.get('reset_user_state'), 'true');
      assert.equal(first.writeClock, null, 'the first exchange writes nothing');
      assert.equal(first.bodyBytes, 0, 'the first exchange has an empty body');
      const st = await stats(s.page);
      if (st.transport === 'ws') {
        assert.ok(ex.every((e) => !e.params.has('user_summary')), 'on the WebSocket the summary comes pushed');
        assert.ok(st.pushes > 0, 'the page took pushes');
      } else {
        assert.equal(first.params.get('user_summary'), '1');
        assert.equal(first.params.has('user_summary_version'), false, 'a new connection asks for the whole summary');
        assert.ok(ex.some((e) => e.params.has('user_summary_version')), 'the page echoes the summary version');
      }

      for (const [i, e] of ex.entries()) {
        assert.equal(e.nSamples, BATCH, `exchange ${i}: n_samples`);
        assert.equal(e.readClock % 2880, 0, `exchange ${i}: read on the 60 ms grid`);
        if (e.writeClock !== null) assert.equal(e.packets, 10, `exchange ${i}: 10 Opus packets`);
        else assert.equal(e.bodyBytes, 0, `exchange ${i}: read-only exchanges have no body`);
      }
      assert.deepEqual(clockProblems(conn), [], 'read and write clocks advance by n_samples');
      const writing = ex.filter((e) => e.writeClock !== null);
      assert.ok(writing.length >= ex.length - 5, `${writing.length} of ${ex.length} exchanges upload`);

      assert.equal(st.errors, 0, `exchange errors: ${st.lastError}`);
      assert.deepEqual(s.errors, [], 'no page errors');
      assert.equal(st.users.length, 2, 'both singers listed (pushed, or left out of replies while unchanged)');
    }
  } finally {
    for (const s of singers) await s.context.close();
    await server.stop();
  }
});
