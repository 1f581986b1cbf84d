// brigade singer page: a set of observers of one stream of audio. Nothing in the page registers
// one; whoever wants to watch the audio (a test, a future meter) adds a function. Emitting to an
// empty set costs one size check, so the audio path pays nothing when nobody watches.

export class Observers {
  constructor() {
    this.fns = new Set();
  }

  /** Adds `fn`; returns a function that removes it. */
  add(fn) {
    this.fns.add(fn);
    return () => this.fns.delete(fn);
  }

  /** Calls every observer with (a, b); arguments are only valid during the call. */
  emit(a, b) {
    if (this.fns.size === 0) return;
    for (const fn of this.fns) fn(a, b);
  }
}
