// Browser tests of the singer's comforts against a real brigade-server (Chromium, fake devices):
// 1. the name and latency are remembered across a reload, and "Forget me" clears them;
// 2. the device pickers list the fake microphone and outputs;
// 3. a follower sees "the song reaches you in N s" before the song reaches their bucket;
// 4. when the song ends, everyone gets a link to its recording and the audio element loads it.

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

const missing = missingPrerequisite();
if (missing) console.log(`BRIGADE-SKIP: browser tests skipped: ${missing}`);

test('name and latency survive a reload; the device pickers list the fake devices; forget me', { skip: missing || false, timeout: 120000 }, async () => {
  const chromium = await loadPlaywright();
  const dir = tmpDir('wav');
  const server = await startServer(0, ['--recordings-dir', tmpDir('rec')]);
  const s = await launchSinger(chromium, { wav: writeSineWav(path.join(dir, 'a.wav'), 440), url: server.url });
  try {
    const { page } = s;
    await joinChain(page, { name: 'Rita', latencyMs: 137 });
    await waitFor('connected', async () => (await stats(page)).ok >= 2);
    await page.reload();
    assert.equal(await page.getByLabel('Your name, as the choir will see it').inputValue(), 'Rita');
    assert.ok(await page.locator('#remembered').isVisible(), 'the page says it remembers');
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('button', { name: 'Allow microphone' }).click();
    await page.getByRole('button', { name: 'Sounds good, continue' }).waitFor();

    const inputs = await page.locator('#input-device option').allTextContents();
    const outputs = await page.locator('#output-device option').allTextContents();
    console.log(`device pickers: inputs ${JSON.stringify(inputs)}, outputs ${JSON.stringify(outputs)}`);
    assert.ok(inputs.length >= 1 && inputs.every((l) => /fake/i.test(l)), `fake microphones listed: ${inputs}`);
    assert.ok(outputs.length >= 1 && outputs.every((l) => /fake/i.test(l)), `fake outputs listed: ${outputs}`);
    // Choosing another microphone and output keeps the page working and is remembered.
    if (inputs.length > 1) await page.getByLabel('Microphone', { exact: true }).selectOption({ index: 1 });
    if (outputs.length > 1) await page.getByLabel('Speakers or headphones').selectOption({ index: 1 });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.screenshot({ path: artifactPath('choir-devices-phone.png'), fullPage: true });
    await page.getByRole('button', { name: 'Sounds good, continue' }).click();
    await waitFor('the remembered latency is offered', async () =>
      (await page.locator('#calibrate-result').textContent()).includes('137 ms'));
    assert.equal(await page.getByRole('button', { name: 'Join the choir' }).isEnabled(), true);

    // Forget me: back to a blank page.
    await page.reload();
    await page.getByRole('button', { name: 'Forget me' }).click();
    await page.waitForLoadState('load');
    await waitFor('the name is forgotten', async () => (await page.getByLabel('Your name, as the choir will see it').inputValue()) === '');
    assert.equal(await page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('brigade.')).length), 0);
    assert.deepEqual(s.errors, [], 'no page errors');
  } finally {
    await s.context.close();
    await server.stop();
  }
});

test('a follower sees the countdown; at the end everyone gets the recording and it loads', { skip: missing || false, timeout: 240000 }, async () => {
  const chromium = await loadPlaywright();
  const dir = tmpDir('wav');
  const server = await startServer(0, ['--recordings-dir', tmpDir('rec')]);
  const singers = [];
  try {
    const b = await launchSinger(chromium, { wav: writeSineWav(path.join(dir, 'b.wav'), 660), url: server.url });
    singers.push(b);
    const a = await launchSinger(chromium, { wav: writeSineWav(path.join(dir, 'a.wav'), 440), url: server.url });
    singers.push(a);
    await joinChain(b.page, { name: 'Bea' });
    await joinChain(a.page, { name: 'Al' });
    await waitFor('both singers listed', async () => (await stats(a.page)).users?.length === 2);
    await a.page.getByRole('button', { name: 'Lead a song' }).click();
    await waitFor('B moved to bucket 2', async () => {
      const st = await stats(b.page);
      return st.bucket === 1 && st.state === 'connected';
    });
    // B's own "Take the lead" asks first (before the song).
    await b.page.getByRole('button', { name: 'Take the lead' }).click();
    assert.ok(await b.page.getByRole('button', { name: 'Yes, take the lead' }).isVisible(), 'taking the lead asks first');
    await b.page.getByRole('button', { name: 'Cancel' }).click();

    await a.page.getByRole('button', { name: 'Start singing' }).click();
    const countIn = await waitFor('the leader’s count-in', async () => {
      const t = await a.page.locator('#song-countdown').textContent();
      return /Count-in/.test(t) && t;
    }, 5000, 100);
    console.log(`leader: ${countIn}`);
    const seen = await waitFor('B’s countdown', async () => {
      const t = await b.page.locator('#song-countdown').textContent();
      return (await b.page.locator('#song-countdown').isVisible()) && /The song reaches you in \d+ s/.test(t) && t;
    }, 20000, 100);
    console.log(`follower: ${seen}`);
    assert.equal((await stats(b.page)).song, 'singing');
    assert.equal(await b.page.getByRole('button', { name: 'Take the lead' }).count(), 0, 'no take-over during the song');
    await waitFor('B’s song clock runs', async () => /Song clock 0:0[1-9]/.test(await b.page.locator('#song-clock').textContent()), 20000, 200);
    await b.page.screenshot({ path: artifactPath('choir-follower-song.png'), fullPage: true });
    await new Promise((r) => setTimeout(r, 3000));
    await a.page.getByRole('button', { name: 'Stop singing' }).click();

    for (const s of [a, b]) {
      const href = await waitFor('the recording link', async () => {
        const link = s.page.locator('#recording-href');
        return (await link.isVisible()) && (await link.getAttribute('href'));
      }, 60000);
      assert.match(href, /^\/recordings\/.+\.wav$/);
      const media = await waitFor('the audio element loads the recording', async () => {
        const m = await s.page.locator('#recording-audio').evaluate((el) => ({ ready: el.readyState, duration: el.duration, error: el.error && el.error.code, src: el.getAttribute('src') }));
        return m.ready >= 1 && m.duration > 0 && m;
      }, 60000);
      console.log(`recording: ${JSON.stringify(media)}`);
      assert.equal(media.error, null);
      assert.equal(media.src, href);
      assert.ok(media.duration > 2, `the recording lasts ${media.duration} s`);
    }
    await b.page.setViewportSize({ width: 390, height: 844 });
    await b.page.screenshot({ path: artifactPath('choir-recording-link-phone.png'), fullPage: true });
    const page = await a.context.newPage();
    await page.goto(new URL('/recordings/', server.url).href);
    await page.locator('.rec audio').first().waitFor();
    assert.match(await page.locator('.rec .hint').first().textContent(), /led by Al/);
    await page.screenshot({ path: artifactPath('choir-recordings-page.png'), fullPage: true });
    for (const s of singers) assert.deepEqual(s.errors, [], 'no page errors');
  } finally {
    for (const s of singers) await s.context.close();
    await server.stop();
  }
});
