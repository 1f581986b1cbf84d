// The page's drift rule (web/clock-drift.js) in plain node: a singer whose sound card runs
// 100 ppm fast, over 10 minutes of exchanges with a jittery network. Without re-anchoring its
// reads gain 60 ms (one Opus frame) on the server; with the page's rule they stay within one
// frame, re-anchoring about every five minutes.

import test from 'node:test';
import assert from 'node:assert/strict';
import { DriftWatch, REANCHOR_SAMPLES } from '../../web/clock-drift.js';

const R = 48000;
const BATCH = 28800; // 600 ms
const FRAME = 2880; // 60 ms

/** A deterministic pseudo-random jitter in [0, 40 ms) (queueing only ever adds delay). */
function jitter(k) {
  const x = Math.sin(k * 12.9898) * 43758.5453;
  return Math.floor((x - Math.floor(x)) * 0.04 * R);
}

/**
 * Simulates `minutes` of exchanges of a page at `ppm`: the page sends one batch per 600 ms of
 * its own clock, its read clock advances by one batch each, the server answers with its clock.
 * Returns the largest |true offset change| seen (samples) and the number of re-anchors.
 */
function simulate({ ppm, minutes, reanchor }) {
  const delay = 6 * R; // bucket 2
  let watch = new DriftWatch();
  let readEnd = null;
  let reanchors = 0;
  let worst = 0;
  let serverNow = 1000 * R;
  const steps = Math.round((minutes * 60 * R) / BATCH);
  for (let k = 0; k < steps; k++) {
    serverNow += BATCH / (1 + ppm * 1e-6); // real (server) time of one batch of the page's clock
    if (readEnd === null) readEnd = Math.round(serverNow) - delay; // (re)connect: exact offset
    else readEnd += BATCH;
    worst = Math.max(worst, Math.abs(Math.round(serverNow) - readEnd - delay));
    const lag = Math.round(serverNow) + jitter(k) - readEnd;
    if (watch.observe(lag) && reanchor) {
      reanchors++;
      watch = new DriftWatch();
      readEnd = null;
    }
  }
  return { worst, reanchors };
}

test('100 ppm fast for 10 minutes without re-anchoring: the reads gain a whole frame', () => {
  const { worst } = simulate({ ppm: 100, minutes: 10, reanchor: false });
  assert.ok(worst >= FRAME - 60, `drift ${(worst * 1000) / R} ms`);
});

test('100 ppm fast for 10 minutes with the page rule: within one frame, re-anchored twice at most', () => {
  const { worst, reanchors } = simulate({ ppm: 100, minutes: 10, reanchor: true });
  assert.ok(worst <= FRAME, `drift ${(worst * 1000) / R} ms`);
  assert.ok(worst <= REANCHOR_SAMPLES + 0.005 * R, `drift ${(worst * 1000) / R} ms`);
  assert.ok(reanchors >= 1 && reanchors <= 2, `${reanchors} re-anchors`);
});

test('100 ppm slow: the same, the other way', () => {
  const { worst, reanchors } = simulate({ ppm: -100, minutes: 10, reanchor: true });
  assert.ok(worst <= FRAME, `drift ${(worst * 1000) / R} ms`);
  assert.ok(reanchors >= 1);
});

test('a steady clock with network jitter never re-anchors', () => {
  const { reanchors } = simulate({ ppm: 0, minutes: 10, reanchor: true });
  assert.equal(reanchors, 0);
});
