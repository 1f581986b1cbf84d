// Browser tests of the singer page against a real brigade-server:
// 1. two singers (fed 440 Hz and 660 Hz) in a song: the follower hears the leader, not vice versa;
// 2. the page says clearly when the server is unreachable, and recovers when it is back.

import test from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import {
  missingPrerequisite,
  loadPlaywright,
  writeSineWav,
  tmpDir,
  startServer,
  launchSinger,
  joinChain,
  stats,
  waitFor,
  artifactPath,
} from './harness.mjs';
import { measureTone } from './audio-probe.mjs';

const missing = missingPrerequisite();
if (missing) console.log(`BRIGADE-SKIP: browser tests skipped: ${missing}`);

const TONE_A = 440;
const TONE_B = 660;
/** A tone counts as heard above this amplitude, and as absent below the second. */
const HEARD = 0.05;
const ABSENT = 0.01;

const measure = (page, freq, source = 'received') => measureTone(page, freq, source, 2);

test('singer B in the next bucket hears singer A; A does not hear B', { skip: missing || false, timeout: 180000 }, async () => {
  const chromium = await loadPlaywright();
  const dir = tmpDir('wav');
  const server = await startServer();
  const singers = [];
  try {
    const b = await launchSinger(chromium, { wav: writeSineWav(path.join(dir, 'b.wav'), TONE_B), url: server.url });
    singers.push(b);
    const a = await launchSinger(chromium, { wav: writeSineWav(path.join(dir, 'a.wav'), TONE_A), url: server.url });
    singers.push(a);
    await joinChain(b.page, { name: 'Bea' });
    await joinChain(a.page, { name: 'Al' });
    for (const s of [a, b]) await waitFor('both singers connected', async () => (await stats(s.page)).ok >= 3);
    await waitFor('both singers listed', async () => (await stats(a.page)).users?.length === 2);

    assert.ok((await measure(a.page, TONE_A, 'mic')) > HEARD, 'A’s microphone carries 440 Hz');
    assert.ok((await measure(b.page, TONE_B, 'mic')) > HEARD, 'B’s microphone carries 660 Hz');

    await a.page.getByRole('button', { name: 'Lead a song' }).click();
    const sa = await waitFor('A leads from bucket 1', async () => {
      const s = await stats(a.page);
      return s.isLeader && s.bucket === 0 && s.delaySeconds === 3 && s.state === 'connected' && s;
    });
    assert.equal(sa.isLeader, true);
    const sb = await waitFor('B moved to bucket 2', async () => {
      const s = await stats(b.page);
      return s.bucket === 1 && s.delaySeconds === 6 && s.state === 'connected' && s;
    });
    assert.equal(sb.isLeader, false);

    await a.page.getByRole('button', { name: 'Start singing' }).click();
    await waitFor('the song started', async () => (await stats(a.page)).song === 'singing');
    await waitFor('B hears A’s 440 Hz', async () => (await measure(b.page, TONE_A)) > HEARD, 40000);

    // Keep listening for a while: A must never pick up B's tone.
    for (let i = 0; i < 6; i++) {
      const heardB = await measure(a.page, TONE_B);
      assert.ok(heardB < ABSENT, `A hears B’s 660 Hz at amplitude ${heardB}`);
      assert.ok((await measure(b.page, TONE_A)) > HEARD, 'B keeps hearing A');
      await new Promise((r) => setTimeout(r, 1000));
    }

    const heard = {
      bHearsA: await measure(b.page, TONE_A),
      bHearsB: await measure(b.page, TONE_B),
      aHearsA: await measure(a.page, TONE_A),
      aHearsB: await measure(a.page, TONE_B),
    };
    console.log(`received tone amplitudes: ${JSON.stringify(heard)}`);

    await b.page.getByRole('textbox', { name: 'Message' }).fill('Lovely, Al!');
    await b.page.getByRole('button', { name: 'Send' }).click();
    await waitFor('A receives B’s chat', async () => (await a.page.locator('#chat-log').textContent()).includes('Lovely, Al!'));

    await a.page.screenshot({ path: artifactPath('singer-a-leader.png'), fullPage: true });
    await b.page.screenshot({ path: artifactPath('singer-b-follower.png'), fullPage: true });
    await b.page.setViewportSize({ width: 390, height: 844 });
    await b.page.screenshot({ path: artifactPath('singer-b-phone.png'), fullPage: true });

    await a.page.getByRole('button', { name: 'Stop singing' }).click();
    await waitFor('the song stopped', async () => (await stats(a.page)).song !== 'singing');

    for (const s of [a, b]) {
      const st = await stats(s.page);
      console.log(`stats: ${JSON.stringify({ ...st, tones: undefined, users: undefined })}`);
      assert.equal(st.errors, 0, `exchange errors: ${st.lastError}`);
      assert.equal(st.shownError, '', 'no error was shown');
      assert.deepEqual(s.errors, [], 'no page errors');
    }
  } finally {
    for (const s of singers) await s.context.close();
    await server.stop();
  }
});

test('the page says when the server is unreachable and recovers when it returns', { skip: missing || false, timeout: 120000 }, async () => {
  const chromium = await loadPlaywright();
  const dir = tmpDir('wav');
  let server = await startServer();
  const port = server.port;
  const singer = await launchSinger(chromium, { wav: writeSineWav(path.join(dir, 'c.wav'), 550), url: server.url });
  try {
    const { page } = singer;
    await joinChain(page, { name: 'Cy', shots: 'join' });
    await waitFor('connected', async () => (await stats(page)).ok >= 3);

    await server.stop();
    const down = await waitFor('the unreachable state', async () => {
      const s = await stats(page);
      return s.state === 'offline' && s;
    }, 20000);
    assert.match(down.message, /Cannot reach the server/);
    const banner = page.locator('#status-banner');
    await waitFor('the banner', () => banner.isVisible());
    assert.match(await banner.textContent(), /Cannot reach the server.*Retrying in \d+ s/);
    assert.equal(await page.locator('#conn-pill').textContent(), 'Server unreachable');
    await page.screenshot({ path: artifactPath('singer-offline.png'), fullPage: true });

    // Back-off, not a tight loop: a few seconds offline make only a few attempts.
    const before = (await stats(page)).errors;
    await new Promise((r) => setTimeout(r, 5000));
    const after = (await stats(page)).errors;
    assert.ok(after - before <= 4, `${after - before} reconnect attempts in 5 s`);

    server = await waitFor('the server restarted on the same port', async () => {
      try {
        return await startServer(port);
      } catch {
        return null;
      }
    }, 20000, 500);
    const okBefore = (await stats(page)).ok;
    await waitFor('recovered', async () => {
      const s = await stats(page);
      return s.state === 'connected' && s.ok >= okBefore + 3;
    }, 30000);
    await waitFor('the banner to go away', async () => !(await banner.isVisible()));
    assert.equal(await page.locator('#conn-pill').textContent(), 'Connected');
    assert.deepEqual(singer.errors.filter((e) => !e.includes('Failed to load resource')), [], 'no page errors');
  } finally {
    await singer.context.close();
    await server.stop();
  }
});
