// The page keeps a later bucket in time (issue 16): singer A leads with the server's metronome
// and "sings" exactly what it hears, its declared latency later: the test closes an acoustic
// loop in A's page (worklet output → delay of the declared latency → worklet input, as a
// loudspeaker and a microphone would), since headless Chromium cannot calibrate acoustically.
// Singer B, one bucket later and with its own backing turned down to 0, hears only A. Every click
// of A's must land on the song's beat grid (song_start_clock + k · beat) in B's decoded audio,
// after B's own decoder delay, within ±1 ms. A's page compensates everything else: its latency,
// its decoder's and its encoder's delay.
//
// The grid itself is checked in A's decoded audio (the metronome the server sends), and the
// page's own calibration must find the loop's latency (it would have set it by itself).

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
} from './harness.mjs';
import { recordedReplies } from './audio-probe.mjs';

const missing = missingPrerequisite();
if (missing) console.log(`BRIGADE-SKIP: browser tests skipped: ${missing}`);

const RATE = 48000;
/** Opus lookahead (include/brigade/codec/opus_codec.hpp, kCodecDelaySamples). */
const CODEC_DELAY = 312;
/** The metronome's click (src/engine/backing.cpp): 5 ms of a 1.5 kHz tone decaying over 1.25 ms. */
const CLICK_SAMPLES = RATE / 200;
const CLICK = Float32Array.from({ length: CLICK_SAMPLES }, (_, i) => 0.8 * Math.exp(-i / (CLICK_SAMPLES / 4)) * Math.sin((2 * Math.PI * 1500 * i) / RATE));
const BPM = 120;
const BEAT = (RATE * 60) / BPM;
/** A's declared round-trip latency, and the level of its "voice" (the echo). */
const LATENCY_MS = 150;
const ECHO_GAIN = 0.4;
/** Tolerance, and how far around a beat the click is looked for. */
const TOLERANCE_MS = 1;
const SEARCH = Math.round(0.02 * RATE);
/** Song seconds B must hear, and the clicks it must find (two beats per second at 120 bpm). */
const SONG_SECONDS = 7;
const MIN_CLICKS = 10;

/**
 * Runs in A's page before it loads: remembers the page's AudioWorkletNode so the test can close
 * the acoustic loop around it.
 */
const WORKLET_SPY = `(() => {
  const Base = window.AudioWorkletNode;
  if (!Base) return;
  window.__worklets = [];
  window.AudioWorkletNode = class extends Base {
    constructor(...args) {
      super(...args);
      window.__worklets.push(this);
    }
  };
})();`;

/** In A's page: what it plays comes back into its input `delaySamples` later, at `gain`. */
function closeAcousticLoop([delaySamples, gain]) {
  const node = window.__worklets[window.__worklets.length - 1];
  const ctx = node.context;
  const delay = new DelayNode(ctx, { maxDelayTime: 1, delayTime: delaySamples / ctx.sampleRate });
  node.connect(new GainNode(ctx, { gain })).connect(delay).connect(node);
  window.__loop = delay;
}

function setLoopDelay(delaySamples) {
  window.__loop.delayTime.value = delaySamples / window.__loop.context.sampleRate;
}

/**
 * In A's page: the loop's true delay in samples. One click goes out of the worklet at a known
 * frame (its calibration click train); the frame where it comes back is taken from the
 * microphone blocks the page reports (window.brigade.observe).
 */
function measureLoop() {
  const node = window.__worklets[window.__worklets.length - 1];
  const ctx = node.context;
  const start = Math.round(ctx.currentTime * ctx.sampleRate) + Math.round(0.1 * ctx.sampleRate);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      stop();
      reject(new Error('the click did not come back'));
    }, 3000);
    const stop = window.brigade.observe('mic', (frame, samples) => {
      for (let i = 0; i < samples.length; i++) {
        if (frame + i >= start && Math.abs(samples[i]) > 0.1) {
          clearTimeout(timer);
          stop();
          resolve(frame + i - start);
          return;
        }
      }
    });
    node.port.postMessage({ type: 'clicks', start, interval: ctx.sampleRate, count: 1, width: 48 });
  });
}

/**
 * The decoded replies recorded by the probe as one stretch of server clock: {origin, samples},
 * NaN where no reply covered. Decoded audio trails each read by the codec delay.
 */
function serverAudio(replies) {
  let lo = Infinity;
  let hi = -Infinity;
  for (const r of replies) {
    lo = Math.min(lo, r.readStart - CODEC_DELAY);
    hi = Math.max(hi, r.readStart - CODEC_DELAY + r.samples.length);
  }
  const samples = new Float32Array(Math.max(0, hi - lo)).fill(NaN);
  for (const r of replies) samples.set(r.samples, r.readStart - CODEC_DELAY - lo);
  return { origin: lo, samples };
}

/**
 * Where the click nearest `beat` lies in `audio` (server clock → sample): the lag of the best
 * match of the click's shape within ±SEARCH, refined to a fraction of a sample. Null when that
 * stretch was not received or holds no click.
 */
function findClick(audio, beat) {
  const n = 2 * SEARCH + CLICK_SAMPLES;
  const from = beat - SEARCH - audio.origin;
  if (from < 0 || from + n > audio.samples.length) return null;
  const x = audio.samples.subarray(from, from + n);
  if (x.some(Number.isNaN)) return null;
  const corr = new Float64Array(2 * SEARCH + 1);
  let best = 0;
  for (let lag = 0; lag <= 2 * SEARCH; lag++) {
    let sum = 0;
    for (let i = 0; i < CLICK_SAMPLES; i++) sum += x[lag + i] * CLICK[i];
    corr[lag] = sum;
    if (sum > corr[best]) best = lag;
  }
  const energy = CLICK.reduce((s, v) => s + v * v, 0);
  const level = corr[best] / energy; // the click's level relative to the metronome's
  if (level < 0.05) return null;
  let frac = 0;
  if (best > 0 && best < 2 * SEARCH) {
    const [a, b, c] = [corr[best - 1], corr[best], corr[best + 1]];
    const d = a - 2 * b + c;
    if (d < 0) frac = (0.5 * (a - c)) / d;
  }
  return { offset: best - SEARCH + frac, level };
}

/** Offsets (ms) of the clicks on the grid start + k · BEAT found in `replies`. */
function clickOffsets(replies, songStart) {
  const audio = serverAudio(replies);
  const end = audio.origin + audio.samples.length;
  const found = [];
  for (let k = Math.max(0, Math.ceil((audio.origin - songStart) / BEAT)); songStart + k * BEAT <= end; k++) {
    const c = findClick(audio, songStart + k * BEAT);
    if (c) found.push({ beat: k, ms: (c.offset * 1000) / RATE, level: c.level });
  }
  return found;
}

const record = (page) => page.evaluate(() => window.brigadeProbe.record());

const table = (who, clicks) =>
  `${who}: ${clicks.length} clicks, offsets (ms) ${clicks.map((c) => `${c.beat}:${c.ms >= 0 ? '+' : ''}${c.ms.toFixed(3)}`).join(' ')}` +
  `; max |offset| ${Math.max(...clicks.map((c) => Math.abs(c.ms))).toFixed(3)} ms`;

test('a later bucket hears the leader’s clicks on the metronome’s grid within ±1 ms', { skip: missing || false, timeout: 150000 }, async () => {
  const t0 = Date.now();
  const phase = (what) => console.log(`[alignment] ${((Date.now() - t0) / 1000).toFixed(1)} s: ${what}`);
  const chromium = await loadPlaywright();
  const dir = tmpDir('wav');
  const silence = writeSineWav(path.join(dir, 'silence.wav'), 440, { seconds: 2, amplitude: 0 });
  const server = await startServer();
  const singers = [];
  try {
    const b = await launchSinger(chromium, { wav: silence, url: server.url });
    singers.push(b);
    const a = await launchSinger(chromium, { wav: silence, url: server.url, initScript: WORKLET_SPY });
    singers.push(a);
    await joinChain(b.page, { name: 'Bea', latencyMs: 80 });
    phase('B joined');

    // A: once its audio runs (the microphone step), the simulated loudspeaker-to-microphone
    // path is closed, measured, and trimmed to exactly the declared latency (a DelayNode inside
    // a cycle adds a render quantum in Chromium).
    await a.page.getByLabel('Your name, as the choir will see it').fill('Al');
    await a.page.getByRole('button', { name: 'Continue' }).click();
    await a.page.getByRole('button', { name: 'Allow microphone' }).click();
    await a.page.getByRole('button', { name: 'Sounds good, continue' }).click();
    const latency = Math.round((LATENCY_MS * RATE) / 1000);
    await a.page.evaluate(closeAcousticLoop, [latency, ECHO_GAIN]);
    const loopRaw = await a.page.evaluate(measureLoop);
    await a.page.evaluate(setLoopDelay, latency - (loopRaw - latency));
    const loop = await a.page.evaluate(measureLoop);
    console.log(`[alignment] A's acoustic loop: ${loopRaw} samples with delayTime ${latency}; trimmed: ${loop} samples (declared ${latency})`);
    assert.ok(Math.abs(loop - latency) <= 1, `A's acoustic loop delays ${loop} samples, not the declared ${latency}`);
    phase("A's loop measured");
    // The page's own calibration hears the same loop (it would find this latency by itself).
    await a.page.getByRole('button', { name: 'Start calibration' }).click();
    await waitFor('the calibration', async () => /Round trip/.test(await a.page.locator('#calibrate-result').textContent()), 20000);
    const calibratedMs = Number(await a.page.evaluate(() => localStorage.getItem('brigade.latency')));
    console.log(`[alignment] A's calibration: ${calibratedMs.toFixed(3)} ms (${await a.page.locator('#calibrate-result').textContent()})`);
    assert.ok(Math.abs(calibratedMs - LATENCY_MS) <= 1000 / RATE, `the page calibrated ${calibratedMs} ms on a ${LATENCY_MS} ms loop`);
    // The test declares the latency by hand, as headless Chromium cannot calibrate acoustically.
    await a.page.getByText('Can’t calibrate? Enter your latency by hand').click();
    await a.page.getByLabel('Round-trip latency (ms)').fill(String(LATENCY_MS));
    await a.page.getByRole('button', { name: 'Use this value' }).click();
    await a.page.getByRole('button', { name: 'Join the choir' }).click();
    for (const s of [a, b]) await waitFor('both singers connected', async () => (await stats(s.page)).ok >= 2);
    phase('A joined');

    // B hears only what earlier buckets sing: its own backing level goes to 0.
    await b.page.evaluate(() => {
      const slider = document.getElementById('my-backing');
      slider.value = '0';
      slider.dispatchEvent(new Event('change'));
    });
    await a.page.getByRole('button', { name: 'Lead a song' }).click();
    await waitFor('A leads from bucket 1', async () => {
      const s = await stats(a.page);
      return s.isLeader && s.bucket === 0 && s.state === 'connected';
    });
    await a.page.getByLabel('Beats per minute').fill(String(BPM));
    await a.page.getByRole('button', { name: 'Apply' }).click();
    await waitFor('the metronome is set', async () => (await stats(a.page)).room.bpm === BPM);
    await waitFor('B in bucket 2', async () => {
      const s = await stats(b.page);
      return s.bucket === 1 && s.state === 'connected';
    });
    await a.page.getByRole('button', { name: 'Start singing' }).click();
    const { songStart } = await waitFor('the song started', async () => {
      const s = await stats(a.page);
      return s.song === 'singing' && s.songStart > 1 && s;
    });

    // A hears the metronome from its first reply on; B hears A one bucket (3 s) later.
    phase('the song started');
    // Both record from here until B has heard SONG_SECONDS of the song (B hears A from beat 0).
    await Promise.all([record(a.page), record(b.page)]);
    await waitFor('B to hear the song', async () => {
      const s = await stats(b.page);
      return s.readClock !== null && s.readClock > songStart + SONG_SECONDS * RATE;
    }, 40000);
    phase('B heard the song');
    const [repliesA, repliesB] = [await recordedReplies(a.page), await recordedReplies(b.page)];
    const fields = ['ok', 'errors', 'reanchors', 'underruns'];
    console.log(`[alignment] A ${JSON.stringify(await stats(a.page), fields)}, B ${JSON.stringify(await stats(b.page), fields)}`);
    const heardByA = clickOffsets(repliesA, songStart);
    const heardByB = clickOffsets(repliesB, songStart);
    console.log(`[alignment] grid: song_start_clock ${songStart}, ${BPM} bpm (${BEAT} samples); A declares ${LATENCY_MS} ms`);
    console.log(`[alignment] metronome in A's audio  ${table('A', heardByA)}`);
    console.log(`[alignment] A's clicks in B's audio ${table('B', heardByB)}`);

    // Nearly every beat between the first and last click found carries its click. On a loaded
    // machine a late reply can leave a gap in what A plays (the page counts it as an underrun),
    // and A cannot echo what it did not hear; a click that is there must be on the beat.
    for (const [who, clicks] of [['A', heardByA], ['B', heardByB]]) {
      const span = clicks.length ? clicks[clicks.length - 1].beat - clicks[0].beat + 1 : 0;
      const missing = [];
      for (let k = clicks[0]?.beat ?? 0, i = 0; k < (clicks[0]?.beat ?? 0) + span; k++) {
        if (clicks[i]?.beat === k) i++;
        else missing.push(k);
      }
      if (missing.length) console.log(`[alignment] ${who}: no click on beats ${missing.join(' ')}`);
      assert.ok(clicks.length >= 0.75 * span, `${who} found clicks on only ${clicks.length} of ${span} beats`);
    }
    assert.ok(heardByA.length >= 6, `A heard ${heardByA.length} metronome clicks`);
    for (const c of heardByA) assert.ok(Math.abs(c.ms) <= TOLERANCE_MS, `metronome beat ${c.beat} at ${c.ms.toFixed(3)} ms in A's audio`);
    assert.ok(heardByB.length >= MIN_CLICKS, `B heard ${heardByB.length} of A's clicks`);
    for (const c of heardByB) assert.ok(Math.abs(c.ms) <= TOLERANCE_MS, `A's click on beat ${c.beat} lands ${c.ms.toFixed(3)} ms off the grid in B's audio`);

    for (const s of [a, b]) {
      const st = await stats(s.page);
      assert.equal(st.errors, 0, `exchange errors: ${st.lastError}`);
      assert.deepEqual(s.errors, [], 'no page errors');
    }
  } finally {
    for (const s of singers) await s.context.close();
    await server.stop();
  }
});
