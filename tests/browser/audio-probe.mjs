// brigade browser tests: how the tests hear the page. The page offers only a generic observer
// registration (window.brigade.observe); everything that measures audio lives here and is
// injected by the test (Playwright addInitScript) before the page loads. Production pages never
// carry it.
//
// In the page, window.brigadeProbe keeps the last PROBE_SECONDS of the microphone ('mic') and of
// the decoded replies ('received'), and can record decoded replies with their server clocks.

/** Goertzel power of `freq` over `samples` (at `rate`), as the amplitude of a matching sine. */
export function toneAmplitude(samples, freq, rate = 48000) {
  const n = samples.length;
  if (n === 0) return 0;
  const w = (2 * Math.PI * freq) / rate;
  const coeff = 2 * Math.cos(w);
  let s1 = 0;
  let s2 = 0;
  for (let i = 0; i < n; i++) {
    const s0 = samples[i] + coeff * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  const power = s1 * s1 + s2 * s2 - coeff * s1 * s2;
  return (2 * Math.sqrt(Math.max(0, power))) / n;
}

/** Runs in the page (serialised by addInitScript): attaches to window.brigade once it exists. */
function probeMain() {
  const RATE = 48000;
  const PROBE_SECONDS = 4;

  class History {
    constructor(n) {
      this.buf = new Float32Array(n);
      this.at = 0;
      this.filled = 0;
    }

    push(samples) {
      const size = this.buf.length;
      const src = samples.length > size ? samples.subarray(samples.length - size) : samples;
      const first = Math.min(src.length, size - this.at);
      this.buf.set(src.subarray(0, first), this.at);
      this.buf.set(src.subarray(first), 0);
      this.at = (this.at + src.length) % size;
      this.filled = Math.min(size, this.filled + src.length);
    }

    latest(n) {
      const count = Math.min(n, this.filled);
      const out = new Float32Array(count);
      const size = this.buf.length;
      const start = (this.at - count + size) % size;
      const first = Math.min(count, size - start);
      out.set(this.buf.subarray(start, start + first), 0);
      out.set(this.buf.subarray(0, count - first), first);
      return out;
    }
  }

  const histories = { mic: new History(PROBE_SECONDS * RATE), received: new History(PROBE_SECONDS * RATE) };
  let recording = null;

  window.brigadeProbe = {
    attached: false,
    /** Amplitude of a sine at `freq` over the last `seconds` of `source` ('mic' | 'received'). */
    tone(freq, source = 'received', seconds = 2) {
      // eslint-disable-next-line no-undef
      return toneAmplitude(histories[source].latest(Math.round(seconds * RATE)), freq, RATE);
    },
    /** Starts keeping every decoded reply: {readStart, samples}. */
    record() {
      recording = [];
    },
    /** The replies kept since record() ({readStart, base64 of the float32 samples}); recording goes on. */
    recorded() {
      const out = (recording || []).map((r) => {
        const bytes = new Uint8Array(r.samples.buffer, r.samples.byteOffset, r.samples.byteLength);
        let text = '';
        for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
        return { readStart: r.readStart, base64: btoa(text) };
      });
      if (recording) recording.length = 0;
      return out;
    },
  };

  const attach = () => {
    if (!window.brigade || !window.brigade.observe) {
      setTimeout(attach, 20);
      return;
    }
    window.brigade.observe('mic', (frame, samples) => histories.mic.push(samples));
    window.brigade.observe('received', (readStart, samples) => {
      histories.received.push(samples);
      if (recording) recording.push({ readStart, samples: Float32Array.from(samples) });
    });
    window.brigadeProbe.attached = true;
  };
  attach();
}

/** The script text addInitScript injects. */
export const PROBE_SCRIPT = `${toneAmplitude.toString()}\n(${probeMain.toString()})();`;

/** The decoded replies recorded in `page` since record(): [{readStart, samples: Float32Array}]. */
export async function recordedReplies(page) {
  const replies = await page.evaluate(() => window.brigadeProbe.recorded());
  return replies.map(({ readStart, base64 }) => {
    const bytes = Buffer.from(base64, 'base64');
    return { readStart, samples: new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4) };
  });
}

/** Amplitude of `freq` over the last `seconds` of the page's 'received' or 'mic' audio. */
export const measureTone = (page, freq, source = 'received', seconds = 2) =>
  page.evaluate(([f, s, sec]) => window.brigadeProbe.tone(f, s, sec), [freq, source, seconds]);

/**
 * Runs in the page (serialised by addInitScript) when a test opts in: taps the output of the page's
 * audio worklet (what the singer hears) and keeps, per `size` samples, the AudioContext frame
 * where the window plays, its rms and the amplitude of each of `freqs`. The page creates its
 * worklet node with `new AudioWorkletNode(ctx, 'brigade-processor', …)`; the tap wraps that
 * constructor.
 */
function outputTapMain(size, freqs) {
  const RATE = 48000;
  const TAP_BLOCK = 4096;
  const Native = globalThis.AudioWorkletNode;
  /** [frame, rms, amplitude of freqs[0], …] of every window heard since the last take. */
  let levels = [];
  globalThis.brigadeOutput = {
    take() {
      const out = levels;
      levels = [];
      return out;
    },
  };
  globalThis.AudioWorkletNode = class extends Native {
    constructor(ctx, name, options) {
      super(ctx, name, options);
      if (name !== 'brigade-processor') return;
      const tap = ctx.createScriptProcessor(TAP_BLOCK, 1, 1);
      let next = null;
      tap.onaudioprocess = (e) => {
        const x = e.inputBuffer.getChannelData(0);
        // playbackTime jitters by a quantum or two; blocks follow each other unless one was skipped.
        const at = Math.round(e.playbackTime * RATE);
        const frame = next !== null && Math.abs(at - next) < TAP_BLOCK / 2 ? next : at;
        next = frame + x.length;
        for (let i = 0; i + size <= x.length; i += size) {
          const part = x.subarray(i, i + size);
          let sum = 0;
          for (const v of part) sum += v * v;
          // eslint-disable-next-line no-undef
          levels.push([frame + i, Math.sqrt(sum / size), ...freqs.map((f) => toneAmplitude(part, f, RATE))]);
        }
      };
      this.connect(tap);
      tap.connect(ctx.destination);
    }
  };
}

/**
 * The script that a test passes as launchSinger's `initScript` to hear the page's output, in
 * windows of `window` samples, with the amplitude of each of `freqs` (see takeOutputLevels).
 */
export const outputTapScript = ({ window = 256, freqs = [] } = {}) =>
  `${toneAmplitude.toString()}\n(${outputTapMain.toString()})(${window}, ${JSON.stringify(freqs)});`;

/** The page's output levels since the last call: [[frame, rms, amplitude per freq…], …]. */
export const takeOutputLevels = (page) => page.evaluate(() => globalThis.brigadeOutput.take());

/**
 * The quiet stretches of `levels` (runs of windows of `window` samples whose `column`, 1 for the
 * rms, 2… for a frequency's amplitude, is below `threshold`), as {from, frames}, longest first.
 * A window missing from the record (the tap runs on the page's main thread and may skip a
 * block) ends a stretch.
 */
export function quietStretches(levels, window, threshold, column = 1) {
  const runs = [];
  let run = null;
  let next = null;
  for (const entry of levels) {
    const [frame] = entry;
    const level = entry[column];
    if (run && (level >= threshold || frame !== next)) {
      runs.push(run);
      run = null;
    }
    if (level < threshold) {
      if (!run) run = { from: frame, frames: 0 };
      run.frames += window;
    }
    next = frame + window;
  }
  if (run) runs.push(run);
  return runs.sort((a, b) => b.frames - a.frames);
}
