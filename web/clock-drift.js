// brigade singer page: keeping a singer on the server's clock when the audio device's clock
// drifts (a sound card 100 ppm fast gains 60 ms on the server in 10 minutes).
//
// The server's clock is the reference. Every reply says where the server was (server_clock)
// when it handled a read ending at client_read_clock: their difference is this singer's delay
// plus the request's network and queueing time. The minimum over a window of replies filters
// the queueing out; its change since the connection's first window is the drift. Past half an
// Opus frame the page re-anchors: it reconnects, which puts its reads back at exactly its
// bucket's delay behind the server. So the offset stays within one frame. The load tester
// applies the same rule (bench/loadtest/drift.hpp).
//
// Drift does not move a singer against the choir: what they hear and what they sing use the
// same device clock, so their voice still lands on the clock they heard. It moves the singer
// against the server's "now", i.e. against the buckets around them.

/** Replies per minimum-filter window (4.8 s at 600 ms batches). */
export const DRIFT_WINDOW_REPLIES = 8;
/** Re-anchor once the drift passes half an Opus frame (30 ms at 48 kHz). */
export const REANCHOR_SAMPLES = 1440;

export class DriftWatch {
  constructor() {
    this.count = 0;
    this.windowMin = 0;
    this.reference = null;
    /** Drift in samples (+: the reads fall behind the server, −: they gain on it), or null. */
    this.drift = null;
  }

  /** One good reply: lag = server_clock − client_read_clock. Returns true when it is time to re-anchor. */
  observe(lag) {
    this.windowMin = this.count % DRIFT_WINDOW_REPLIES === 0 ? lag : Math.min(this.windowMin, lag);
    this.count++;
    if (this.count % DRIFT_WINDOW_REPLIES !== 0) return false;
    if (this.reference === null) this.reference = this.windowMin;
    this.drift = this.windowMin - this.reference;
    return Math.abs(this.drift) > REANCHOR_SAMPLES;
  }
}
