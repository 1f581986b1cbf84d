// Browser tests of the singer page's leader controls and mixing console against a real brigade-server:
// 1. the leader uploads WAVs (one good, one not), picks a backing track the test put in --tracks-dir
//    (a 700 Hz tone), provides lyrics and starts the song; the singer in the next bucket sees the
//    lyrics, hears 700 Hz, and stops hearing it when it turns its own backing volume down;
// 2. with --admin-token, the global volume is refused without the token (a clear message, no
//    reconnect) and accepted with it (the server echoes globalVolume).

import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
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

const TRACK_TONE = 700;
/** A tone counts as heard above this amplitude, and as absent below the second. */
const HEARD = 0.05;
const ABSENT = 0.01;
const ADMIN_TOKEN = 'choir-s3cret';

const measure = (page, freq) => measureTone(page, freq, 'received', 2);

/** A server with temporary tracks and recordings directories; `tracks` maps file names to tones. */
async function serverWithTracks(tracks, extraArgs = []) {
  const tracksDir = tmpDir('tracks');
  const recordingsDir = tmpDir('recordings');
  for (const [file, freq] of Object.entries(tracks)) {
    writeSineWav(path.join(tracksDir, file), freq, { seconds: 60, amplitude: 0.8 });
  }
  const server = await startServer(0, ['--tracks-dir', tracksDir, '--recordings-dir', recordingsDir, ...extraArgs]);
  return { server, tracksDir };
}

test('the leader picks an uploaded-folder backing track; the next bucket hears it', { skip: missing || false, timeout: 240000 }, async () => {
  const chromium = await loadPlaywright();
  const dir = tmpDir('wav');
  const { server, tracksDir } = await serverWithTracks({ 'tone700.wav': TRACK_TONE });
  const singers = [];
  try {
    const b = await launchSinger(chromium, { wav: writeSineWav(path.join(dir, 'b.wav'), 550), url: server.url });
    singers.push(b);
    const a = await launchSinger(chromium, { wav: writeSineWav(path.join(dir, 'a.wav'), 440), url: server.url });
    singers.push(a);
    await joinChain(b.page, { name: 'Bea' });
    await joinChain(a.page, { name: 'Al' });
    for (const s of [a, b]) await waitFor('both singers connected', async () => (await stats(s.page)).ok >= 3);
    await waitFor('both singers listed', async () => (await stats(a.page)).users?.length === 2);
    // Both wait at the default delay with reads on the 60 ms grid: the server shares one Opus stream.
    const shared = await waitFor('a shared Opus stream', async () => {
      const res = await fetch(new URL('api/telemetry', server.url));
      const encoding = (await res.json()).server.shared_encoding;
      return encoding.frames_reused > 0 && encoding;
    }, 10000);
    console.log(`shared encoding: ${JSON.stringify(shared)}`);

    // Before leading there is no song setup; after, the leader sees it.
    assert.equal(await a.page.locator('#song-setup').isVisible(), false);
    await a.page.getByRole('button', { name: 'Lead a song' }).click();
    await waitFor('A leads from bucket 1', async () => {
      const s = await stats(a.page);
      return s.isLeader && s.bucket === 0 && s.state === 'connected';
    });
    await waitFor('B moved to bucket 2', async () => {
      const s = await stats(b.page);
      return s.bucket === 1 && s.delaySeconds === 6 && s.state === 'connected';
    });
    const picker = a.page.getByLabel('Backing track', { exact: true });
    await waitFor('the track list', async () => (await picker.locator('option').allTextContents()).includes('tone700'));
    assert.equal(await b.page.locator('#song-setup').isVisible(), false, 'only the leader sets up the song');

    // Upload: a file that is not audio is refused with the server's reason; a WAV becomes a track.
    const bogus = path.join(dir, 'notes.wav');
    fs.writeFileSync(bogus, 'these are not samples');
    const upload = async (file) => {
      const chooser = a.page.waitForEvent('filechooser');
      await a.page.getByRole('button', { name: 'Upload a track…' }).click();
      await (await chooser).setFiles(file);
    };
    await upload(bogus);
    const uploadStatus = a.page.locator('#upload-status');
    await waitFor('the upload refusal', async () => /did not accept “notes\.wav”: not an audio file/.test(await uploadStatus.textContent()));
    await upload(writeSineWav(path.join(dir, 'short.wav'), 500, { seconds: 2 }));
    await waitFor('the upload success', async () => /Uploaded “short\.wav” as “upload-/.test(await uploadStatus.textContent()));
    const uploaded = await picker.inputValue();
    assert.match(uploaded, /^upload-/, 'the uploaded track is chosen');
    assert.ok(fs.readdirSync(tracksDir).includes(`${uploaded}.wav`), 'the upload landed in --tracks-dir');

    // Choose the 700 Hz track, provide lyrics, start.
    await picker.selectOption('tone700');
    await a.page.locator('#song-setup').scrollIntoViewIfNeeded();
    await a.page.screenshot({ path: artifactPath('console-leader-setup.png'), fullPage: true });
    await a.page.getByLabel('Lyrics for everyone (you are leading)').fill('Row, row, row your boat\nGently down the stream');
    await a.page.getByRole('button', { name: 'Provide lyrics' }).click();
    await waitFor('B sees the lyrics', async () => (await b.page.locator('#lyrics-text').textContent()).includes('Gently down the stream'));
    await a.page.getByRole('button', { name: 'Start singing' }).click();
    await waitFor('the song started', async () => (await stats(a.page)).song === 'singing');
    await waitFor('B is told the backing type', async () => (await stats(b.page)).room.backingType === 'Backing Track');
    assert.equal(await b.page.locator('#backing-now').textContent(), 'Backing: backing track.');
    assert.equal(await a.page.locator('#song-setup').isVisible(), false, 'the setup hides during the song');

    await waitFor('B hears the 700 Hz backing track', async () => (await measure(b.page, TRACK_TONE)) > HEARD, 40000);
    await b.page.waitForTimeout(2500); // A full measuring window of the track.
    const heard = { b700: await measure(b.page, TRACK_TONE), a700: await measure(a.page, TRACK_TONE), b440: await measure(b.page, 440) };
    console.log(`received tone amplitudes: ${JSON.stringify(heard)}`);
    // Expected ≈ 0.8 (file) × 0.8 (load) × 0.2 (no metronome) × 1.2 (global volume) = 0.15.
    assert.ok(heard.b700 > 0.1, 'B hears the track at its full level');
    assert.ok(heard.a700 > 0.1, 'the leader hears its backing track too');

    await a.page.locator('#console > summary').click();
    await a.page.waitForTimeout(700);
    await a.page.screenshot({ path: artifactPath('console-leader-singing.png'), fullPage: true });
    await b.page.screenshot({ path: artifactPath('console-follower-lyrics.png'), fullPage: true });

    // B's own backing volume: all the way down (keyboard), and the track fades from B's mix only.
    const mine = b.page.getByLabel('Backing track volume (only you)');
    await mine.focus();
    await mine.press('Home');
    assert.equal(await mine.inputValue(), '0');
    await waitFor('B no longer hears the track', async () => (await measure(b.page, TRACK_TONE)) < ABSENT, 20000);
    assert.ok((await measure(a.page, TRACK_TONE)) > HEARD, 'A still hears the track');

    await b.page.setViewportSize({ width: 390, height: 844 });
    await b.page.locator('#console > summary').click();
    await b.page.screenshot({ path: artifactPath('console-phone.png'), fullPage: true });

    await a.page.getByRole('button', { name: 'Stop singing' }).click();
    await waitFor('the song stopped', async () => (await stats(a.page)).song !== 'singing');
    for (const s of [a, b]) {
      const st = await stats(s.page);
      assert.equal(st.errors, 0, `exchange errors: ${st.lastError}`);
      assert.equal(st.shownError, '', 'no error was shown');
      assert.deepEqual(s.errors.filter((e) => !e.includes('Failed to load resource')), [], 'no page errors');
    }
  } finally {
    for (const s of singers) await s.context.close();
    await server.stop();
  }
});

test('room-wide controls: refused without the admin token, applied with it', { skip: missing || false, timeout: 180000 }, async () => {
  const chromium = await loadPlaywright();
  const dir = tmpDir('wav');
  const { server } = await serverWithTracks({}, ['--admin-token', ADMIN_TOKEN]);
  const singer = await launchSinger(chromium, { wav: writeSineWav(path.join(dir, 'o.wav'), 330), url: server.url });
  try {
    const { page } = singer;
    await joinChain(page, { name: 'Olga' });
    await waitFor('connected', async () => (await stats(page)).ok >= 3);
    const before = await waitFor('the room volumes', async () => {
      const s = await stats(page);
      return s.room.globalVolume !== null && s;
    });

    await page.getByText('Mixing console').click();
    const volume = page.getByLabel('Global volume');
    await volume.focus();
    await volume.press('ArrowRight');
    const notice = page.locator('#console-notice');
    await waitFor('the refusal', async () => /refused global volume.*admin token/.test(await notice.textContent()));
    assert.match(await notice.getAttribute('class'), /refused/);
    await page.screenshot({ path: artifactPath('console-refused.png'), fullPage: true });
    const refused = await stats(page);
    assert.equal(refused.room.globalVolume, before.room.globalVolume, 'the volume did not change');
    assert.equal(refused.errors, 0, 'a refusal is not a connection error');
    assert.equal(refused.state, 'connected');
    const okAfterRefusal = refused.ok;
    await waitFor('exchanges continue', async () => (await stats(page)).ok >= okAfterRefusal + 3);

    await page.getByLabel('Admin token').fill(ADMIN_TOKEN);
    await page.getByRole('button', { name: 'Use token' }).click();
    assert.equal(await page.evaluate(() => sessionStorage.getItem('brigade.adminToken')), ADMIN_TOKEN);
    await volume.focus();
    await volume.press('ArrowRight');
    await volume.press('ArrowRight');
    const wanted = Number(await volume.inputValue());
    await waitFor('the server echoes globalVolume', async () => Math.abs((await stats(page)).room.globalVolume - wanted) < 1e-6);
    await waitFor('the confirmation', async () => /applied: global volume/.test(await notice.textContent()));
    await page.getByLabel('Admin token').blur();
    await page.locator('#you-title').click();
    await page.screenshot({ path: artifactPath('console-accepted.png'), fullPage: true });

    // Per-singer controls need no token: microphone level and solo.
    const mic = page.getByLabel('Microphone level of Olga (you)');
    await mic.focus();
    await mic.press('ArrowLeft');
    await waitFor('the server reports the new mic volume', async () => Math.abs((await stats(page)).users[0].micVolume - 0.95) < 1e-6);
    await page.getByRole('button', { name: 'Solo Olga (you)' }).click();
    await waitFor('soloed', async () => (await stats(page)).users[0]?.soloed === true);
    await page.getByRole('button', { name: 'Solo Olga (you)' }).click();
    await waitFor('not soloed', async () => (await stats(page)).users[0]?.soloed === false);

    // Metronome and rounds (no token needed): applying rounds re-assigns the buckets, so the
    // leader moves to first_bucket = 3 + 60 / 120 × 8 beats × 2 rounds = 11 s.
    await page.getByRole('button', { name: 'Lead a song' }).click();
    await waitFor('leading', async () => (await stats(page)).isLeader);
    await page.getByLabel('Beats per minute').fill('120');
    await page.getByLabel('Rounds', { exact: true }).fill('2');
    await page.getByLabel('Beats per round').fill('8');
    await page.getByRole('button', { name: 'Apply' }).click();
    await waitFor('the leader re-placed for rounds', async () => {
      const s = await stats(page);
      return s.room.bpm === 120 && s.delaySeconds === 11 && s.isLeader && s.state === 'connected';
    });
    assert.match(await page.locator('#rounds-status').textContent(), /Metronome at 120 beats per minute, 2 rounds of 8 beats/);

    const st = await stats(page);
    assert.equal(st.readClock % 2880, 0, 'reads stay on the 60 ms grid (shared encoding)');
    assert.equal(st.refusals, 1);
    assert.equal(st.errors, 0, `exchange errors: ${st.lastError}`);
    assert.equal(st.shownError, '', 'no connection error was shown');
    assert.deepEqual(singer.errors.filter((e) => !e.includes('Failed to load resource')), [], 'no page errors');
  } finally {
    await singer.context.close();
    await server.stop();
  }
});
