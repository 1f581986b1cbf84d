// brigade singer page: round-trip latency calibration.
// Plays a click train through the speakers and finds each click in the microphone input;
// the delay from "click written" to "click heard" is the local round trip.

import { SAMPLE_RATE } from './protocol.js';
import { prefs } from './prefs.js';

/** Clicks per run, their spacing (105 bpm), and where to look for each echo. */
const CLICKS = 10;
const INTERVAL = Math.round((SAMPLE_RATE * 60) / 105);
const SEARCH_SAMPLES = Math.round(0.5 * SAMPLE_RATE);
/** A click must stand this far above the noise measured just before it. */
const NOISE_FACTOR = 8;
const MIN_THRESHOLD = 0.02;
/** Success: at least this many echoes whose middle half spans at most this many ms. */
const MIN_DETECTIONS = 5;
const MAX_SPREAD_MS = 4;
/** Suggested when no click came back: a typical laptop's round trip. */
const TYPICAL_LATENCY_MS = 150;

function quantile(sorted, q) {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

/** Median and interquartile spread (ms) of latencies given in samples. */
export function summarize(samples) {
  const ms = samples.map((s) => (s * 1000) / SAMPLE_RATE).sort((a, b) => a - b);
  return { medianMs: quantile(ms, 0.5), spreadMs: quantile(ms, 0.75) - quantile(ms, 0.25), count: ms.length };
}

/**
 * Runs one calibration. `onProgress(i, total)` after each click.
 * Resolves to {ok, medianMs, spreadMs, count, message}.
 */
export function calibrate(engine, onProgress) {
  const total = INTERVAL * CLICKS + SEARCH_SAMPLES;
  const start = engine.nowFrame() + Math.round(0.4 * SAMPLE_RATE);
  const recorded = new Float32Array(total + INTERVAL);
  const origin = start - INTERVAL; // Keep one interval of noise before the first click.
  let heardUntil = origin;
  engine.clicks(start, INTERVAL, CLICKS);

  return new Promise((resolve) => {
    let off = null;
    const onMic = (frame, buf) => {
      for (let i = 0; i < buf.length; i++) {
        const at = frame + i - origin;
        if (at >= 0 && at < recorded.length) recorded[at] = buf[i];
      }
      heardUntil = Math.max(heardUntil, frame + buf.length);
      const done = Math.min(CLICKS, Math.max(0, Math.floor((heardUntil - start) / INTERVAL)));
      onProgress(done, CLICKS);
      if (heardUntil >= origin + recorded.length) {
        off();
        resolve(analyze(recorded));
      }
    };
    off = engine.mic.add(onMic);
  });
}

function analyze(recorded) {
  const found = [];
  for (let k = 0; k < CLICKS; k++) {
    const click = INTERVAL * (k + 1);
    let noise = 0;
    const quietFrom = click - Math.round(INTERVAL / 4);
    for (let i = quietFrom; i < click; i++) noise += recorded[i] * recorded[i];
    noise = Math.sqrt(noise / (click - quietFrom));
    const threshold = Math.max(MIN_THRESHOLD, noise * NOISE_FACTOR);
    for (let i = 0; i < SEARCH_SAMPLES; i++) {
      if (Math.abs(recorded[click + i]) > threshold) {
        found.push(i);
        break;
      }
    }
  }
  if (found.length < MIN_DETECTIONS) {
    return {
      ok: false,
      count: found.length,
      suggestedMs: found.length ? Math.round(summarize(found).medianMs) : TYPICAL_LATENCY_MS,
      message: `Heard ${found.length} of ${CLICKS} clicks. Turn your speakers up, take off headphones, and try again, or enter your latency by hand.`,
    };
  }
  const s = summarize(found);
  const ok = s.spreadMs <= MAX_SPREAD_MS;
  return {
    ok,
    ...s,
    suggestedMs: Math.round(s.medianMs),
    message: ok
      ? `Round trip ${s.medianMs.toFixed(0)} ms (spread ${s.spreadMs.toFixed(1)} ms over ${s.count} clicks).`
      : `The clicks came back too unevenly (spread ${s.spreadMs.toFixed(1)} ms). Try a quieter room, or enter your latency by hand.`,
  };
}

/** The latency saved earlier on this device, in ms, or null. */
export function savedLatencyMs() {
  return prefs.latencyMs();
}

export function saveLatencyMs(ms) {
  prefs.setLatencyMs(ms);
}
