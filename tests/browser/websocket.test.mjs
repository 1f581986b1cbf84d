// Browser tests of the page's transports against a real brigade-server:
// 1. by default both pages sing over the WebSocket (/api/ws?push=1): no HTTP exchange at all, the
//    follower hears the leader's tone; the summary and chat lines come pushed (no exchange asks
//    for the summary) and each page shows the other singer's name and chat line;
// 2. with the upgrade blocked (the page's WebSocket is pointed at a closed port, as a proxy
//    that refuses upgrades would), both pages fall back to HTTP, say so, and still sing.

import test from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { missingPrerequisite, loadPlaywright, writeSineWav, tmpDir, startServer, launchSinger, joinChain, stats, waitFor, artifactPath } from './harness.mjs';
import { recordApi } from './traffic.mjs';
import { measureTone } from './audio-probe.mjs';

const missing = missingPrerequisite();
if (missing) console.log(`BRIGADE-SKIP: browser tests skipped: ${missing}`);

const TONE_A = 440;
const HEARD = 0.05;

const measure = (page, freq) => measureTone(page, freq, 'received', 2);

/** Replaces the page's WebSocket so that /api/ws goes to a closed port: the upgrade fails. */
const BLOCK_UPGRADE = `(() => {
  const Real = window.WebSocket;
  window.WebSocket = class extends Real {
    constructor(url, protocols) {
      super(String(url).includes('/api/ws') ? 'ws://127.0.0.1:9/blocked' : url, protocols);
    }
  };
})();`;

async function song({ block, name }) {
  const chromium = await loadPlaywright();
  const dir = tmpDir('wav');
  const server = await startServer();
  const singers = [];
  try {
    for (const who of ['b', 'a']) {
      const wav = writeSineWav(path.join(dir, `${who}.wav`), who === 'a' ? TONE_A : 660);
      const s = await launchSinger(chromium, { wav, url: 'about:blank', initScript: block ? BLOCK_UPGRADE : null });
      s.log = recordApi(s.page);
      await s.page.goto(server.url);
      singers.push(s);
    }
    const [b, a] = singers;
    await joinChain(b.page, { name: 'Bea' });
    await joinChain(a.page, { name: 'Al' });
    for (const s of singers) await waitFor('both singers connected', async () => (await stats(s.page)).ok >= 3);
    await a.page.getByRole('button', { name: 'Lead a song' }).click();
    await waitFor('B moved to bucket 2', async () => {
      const s = await stats(b.page);
      return s.bucket === 1 && s.state === 'connected';
    });
    await a.page.getByRole('button', { name: 'Start singing' }).click();
    await waitFor('B hears A’s 440 Hz', async () => (await measure(b.page, TONE_A)) > HEARD, 40000);
    // A chat line from Bea reaches Al (pushed over the WebSocket, in a reply over HTTP).
    await b.page.getByRole('textbox', { name: 'Message' }).fill('Pushed hello');
    await b.page.getByRole('button', { name: 'Send' }).click();
    await waitFor('Al shows Bea’s chat line', async () => (await a.page.locator('#chat-log').textContent()).includes('Pushed hello'));
    await a.page.screenshot({ path: artifactPath(`${name}-leader.png`) });
    const want = block ? 'HTTP' : 'WebSocket';
    for (const s of singers) {
      const st = await stats(s.page);
      assert.equal(st.transport, block ? 'http' : 'ws');
      assert.equal(await s.page.locator('#transport').textContent(), want, 'the page says which transport it uses');
      const exchanges = s.log.filter((r) => r.method === 'POST');
      const askingSummary = exchanges.filter((r) => new URLSearchParams(r.target.split('?')[1]).has('user_summary'));
      if (block) {
        assert.equal(s.log.ws, 0, 'no WebSocket message went out');
        assert.ok(s.log.http > 10, `exchanges went over HTTP (${s.log.http})`);
        assert.equal(askingSummary.length, exchanges.length, 'over HTTP every exchange asks for the summary');
        assert.equal(st.pushes, 0);
      } else {
        assert.equal(s.log.http, 0, 'no HTTP exchange went out');
        assert.ok(s.log.ws > 10, `exchanges went over the WebSocket (${s.log.ws})`);
        assert.ok(s.log.some((r) => r.method === 'POST' && r.body.length > 1000), 'uploads went over the WebSocket');
        assert.ok(s.log.wsUrls.length >= 1 && s.log.wsUrls.every((u) => new URL(u).searchParams.get('push') === '1'), 'the socket asks for pushes');
        assert.equal(askingSummary.length, 0, 'no exchange asks for the summary: it comes pushed');
        assert.ok(st.pushes > 0, 'the page took pushes');
        const other = s === a ? 'Bea' : 'Al';
        assert.ok(s.log.pushes.some((p) => p.includes('"summary"') && p.includes(`"${other}"`)), `a summary push listed ${other}`);
        assert.ok(st.users.some((u) => u.name === other), `the page lists ${other}`);
        assert.ok((await s.page.locator('#singers').textContent()).includes(other), `the page shows ${other}`);
      }
      // Chromium reports the blocked upgrade on the console; nothing else may go wrong.
      if (!block && s === a) assert.ok(s.log.pushes.some((p) => p.includes('"chats"') && p.includes('Pushed hello')), 'the chat line came pushed');
      assert.deepEqual(s.errors.filter((e) => !(block && /WebSocket connection to 'ws:\/\/127\.0\.0\.1:9\/blocked' failed/.test(e))), []);
    }
  } finally {
    for (const s of singers) await s.context.close();
    await server.stop();
  }
}

test('the page sings over the WebSocket by default', { skip: missing || false, timeout: 180000 }, () => song({ block: false, name: 'ws' }));

test('with the upgrade blocked the page falls back to HTTP and sings', { skip: missing || false, timeout: 180000 }, () => song({ block: true, name: 'ws-fallback' }));
