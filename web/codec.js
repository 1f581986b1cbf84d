// brigade singer page: Opus through WebCodecs (48 kHz mono, 60 ms frames, raw packets).

import { SAMPLE_RATE, FRAME_SAMPLES } from './protocol.js';

/** WebCodecs timestamps are in microseconds; one frame is exactly 60 000 µs. */
const FRAME_MICROS = (FRAME_SAMPLES * 1e6) / SAMPLE_RATE;
/** How long a decode may take before the reply counts as broken. */
const DECODE_TIMEOUT_MS = 3000;

const ENCODER_CONFIG = {
  codec: 'opus',
  sampleRate: SAMPLE_RATE,
  numberOfChannels: 1,
  bitrate: 64000,
  opus: { frameDuration: FRAME_MICROS, application: 'audio' },
};
const DECODER_CONFIG = { codec: 'opus', sampleRate: SAMPLE_RATE, numberOfChannels: 1 };

/** Resolves to null when Opus encode and decode work here, else to a sentence for the user. */
export async function opusProblem() {
  if (!window.isSecureContext) {
    return 'This page must be opened over HTTPS (or on this computer as http://localhost) to use the microphone.';
  }
  if (typeof AudioEncoder === 'undefined' || typeof AudioDecoder === 'undefined') {
    return 'This browser has no WebCodecs audio support, which brigade needs for Opus. Please use a recent Chrome, Edge or Chromium.';
  }
  try {
    const [enc, dec] = await Promise.all([
      AudioEncoder.isConfigSupported(ENCODER_CONFIG),
      AudioDecoder.isConfigSupported(DECODER_CONFIG),
    ]);
    if (!enc.supported || !dec.supported) {
      return 'This browser cannot encode or decode Opus audio through WebCodecs. Please use a recent Chrome, Edge or Chromium.';
    }
  } catch (err) {
    return `This browser's Opus support failed its check (${err.message}).`;
  }
  if (typeof AudioWorkletNode === 'undefined') {
    return 'This browser lacks AudioWorklet, which brigade needs for low-latency audio.';
  }
  return null;
}

/** A continuous encoder: push PCM in any block size, take whole 60 ms packets out. */
export class OpusEncoderStream {
  constructor() {
    /** Finished packets, oldest first. */
    this.packets = [];
    /** Samples pushed so far (for timestamps). */
    this.pushed = 0;
    this.error = null;
    this.encoder = new AudioEncoder({
      output: (chunk) => {
        const bytes = new Uint8Array(chunk.byteLength);
        chunk.copyTo(bytes);
        this.packets.push(bytes);
      },
      error: (e) => {
        this.error = e;
      },
    });
    this.encoder.configure(ENCODER_CONFIG);
  }

  /** Encodes `samples` (Float32Array, 48 kHz mono) after everything pushed before. */
  push(samples) {
    if (this.error) throw new Error(`Opus encoder failed: ${this.error.message}`);
    const data = new AudioData({
      format: 'f32',
      sampleRate: SAMPLE_RATE,
      numberOfFrames: samples.length,
      numberOfChannels: 1,
      timestamp: Math.round((this.pushed * 1e6) / SAMPLE_RATE),
      data: samples,
    });
    this.pushed += samples.length;
    this.encoder.encode(data);
    data.close();
  }

  /** Removes and returns up to `max` finished packets. */
  take(max) {
    return this.packets.splice(0, Math.min(max, this.packets.length));
  }

  close() {
    if (this.encoder.state !== 'closed') this.encoder.close();
  }
}

/** A continuous decoder: one call per reply, resolving to that reply's PCM. */
export class OpusDecoderStream {
  constructor() {
    /** Packets decoded so far; the next packet's index. */
    this.next = 0;
    /** The reply being decoded: {pcm, first, remaining, resolve, reject}. */
    this.job = null;
    this.queue = Promise.resolve();
    this.decoder = new AudioDecoder({
      output: (data) => this.onOutput(data),
      error: (e) => this.fail(new Error(`Opus decoder failed: ${e.message}`)),
    });
    this.decoder.configure(DECODER_CONFIG);
  }

  /** Decodes `packets` (60 ms each) into one Float32Array; calls are served in order. */
  decode(packets) {
    const run = () => this.run(packets);
    const p = this.queue.then(run, run);
    this.queue = p.catch(() => {});
    return p;
  }

  run(packets) {
    if (packets.length === 0) return Promise.resolve(new Float32Array(0));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => this.fail(new Error('Opus decoding timed out')), DECODE_TIMEOUT_MS);
      this.job = {
        pcm: new Float32Array(packets.length * FRAME_SAMPLES),
        first: this.next,
        remaining: packets.length,
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      for (const bytes of packets) {
        const chunk = new EncodedAudioChunk({ type: 'key', timestamp: this.next * FRAME_MICROS, data: bytes });
        this.next++;
        this.decoder.decode(chunk);
      }
    });
  }

  onOutput(data) {
    const job = this.job;
    if (!job) {
      data.close();
      return;
    }
    const index = Math.round(data.timestamp / FRAME_MICROS) - job.first;
    const frames = Math.min(data.numberOfFrames, FRAME_SAMPLES);
    if (index >= 0 && index < job.pcm.length / FRAME_SAMPLES) {
      data.copyTo(job.pcm.subarray(index * FRAME_SAMPLES, index * FRAME_SAMPLES + frames), {
        planeIndex: 0,
        format: 'f32-planar',
        frameCount: frames,
      });
    }
    data.close();
    if (--job.remaining === 0) {
      this.job = null;
      job.resolve(job.pcm);
    }
  }

  fail(err) {
    const job = this.job;
    this.job = null;
    if (job) job.reject(err);
  }

  close() {
    this.fail(new Error('decoder closed'));
    if (this.decoder.state !== 'closed') this.decoder.close();
  }
}
