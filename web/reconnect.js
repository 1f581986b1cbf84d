// brigade singer page: when a connection starts, and when to try again after a failure.
//
// Both are random; a re-anchor keeps its old connection's phase. Replies that leave the server in
// one burst (after a stall, or while hundreds of singers join, move or re-anchor at once) would
// otherwise start many connections at the same instant, and since a connection's exchanges are
// due every 600 ms from its first one, those singers would go on sending together, in bursts the
// server must queue, for as long as they stay.

import { BATCH_SAMPLES } from './protocol.js';

/** Back-off after failures: doubles from the first to the last value (before the jitter). */
export const BACKOFF_FIRST_MS = 1000;
export const BACKOFF_MAX_MS = 10000;

/**
 * Samples from a connection's clock reply to its first exchange: uniform over one batch, so
 * that a new connection may take any phase of the 600 ms. `random` is in [0, 1).
 */
export function connectSpreadSamples(random = Math.random) {
  return Math.floor(random() * BATCH_SAMPLES);
}

/**
 * Samples from a re-anchor's clock reply (at local `nowFrame`) to its first exchange: it goes when
 * its old connection's next one was due (`dueFrame`), so that its reads go on without a gap, and
 * singers that re-anchor at the same instant (near capacity, late replies look like drift) keep
 * their own phases. At once if that moment has passed.
 */
export function reanchorSpreadSamples(dueFrame, nowFrame) {
  return Math.min(BATCH_SAMPLES, Math.max(0, dueFrame - nowFrame));
}

/** The wait after a failure with back-off `backoffMs`: between half of it and all of it. */
export function failureWaitMs(backoffMs, random = Math.random) {
  return backoffMs * (0.5 + random() / 2);
}
