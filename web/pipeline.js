// brigade singer page: the codec pipeline of one connection. Microphone blocks go into the Opus
// encoder from the first frame the clock says to upload, contiguous (gaps filled with silence);
// reply packets are decoded and queued for playback at the frames the clock gives them.
//
// Per capture block nothing is allocated but the WebCodecs AudioData wrapper: blocks are handed
// to the encoder as they are (it copies what it is given), silence comes from one buffer.

import { OpusEncoderStream, OpusDecoderStream } from './codec.js';

/** Silence pushed to the encoder for a muted block or a capture gap (allocated once). */
const ZEROS = new Float32Array(4096);

export class AudioPipeline {
  /**
   * `engine`: the started AudioEngine; `upload`: whether to encode the microphone;
   * `received`: Observers told (readStart, pcm) for every decoded reply, before it plays.
   */
  constructor(engine, { upload, received }) {
    this.engine = engine;
    this.received = received;
    this.encoder = upload ? new OpusEncoderStream() : null;
    this.decoder = new OpusDecoderStream();
    /** First microphone frame to encode (null: not yet), and the next one expected. */
    this.captureFrom = null;
    this.captureNext = null;
    this.muted = false;
    /** Silence of the last muted block's length (a view made once per length, not per block). */
    this.silence = ZEROS.subarray(0, 0);
  }

  get uploads() {
    return this.encoder !== null;
  }

  /** Starts encoding the microphone from local `frame` on. */
  startCapture(frame) {
    if (this.encoder && this.captureFrom === null) this.captureFrom = frame;
  }

  /** Feeds one capture block (samples valid only during the call) to the encoder. */
  capture(frame, buf) {
    const enc = this.encoder;
    if (!enc || this.captureFrom === null) return;
    if (this.captureNext === null) this.captureNext = this.captureFrom;
    const end = frame + buf.length;
    if (end <= this.captureNext) return;
    while (frame > this.captureNext) {
      // A gap: keep the stream contiguous with silence.
      const n = Math.min(frame - this.captureNext, ZEROS.length);
      enc.push(ZEROS.subarray(0, n));
      this.captureNext += n;
    }
    const skip = this.captureNext - frame;
    const length = buf.length - skip;
    let part = skip === 0 ? buf : buf.subarray(skip);
    if (this.muted) part = this.silenceOf(length);
    enc.push(part);
    this.captureNext = end;
  }

  silenceOf(n) {
    const length = Math.min(n, ZEROS.length);
    if (this.silence.length !== length) this.silence = ZEROS.subarray(0, length);
    return this.silence;
  }

  /** Whether `count` encoded packets are waiting. */
  hasPackets(count) {
    return this.encoder !== null && this.captureFrom !== null && this.encoder.packets.length >= count;
  }

  /** The first `count` waiting packets (left in place until take()). */
  peekPackets(count) {
    return this.encoder.packets.slice(0, count);
  }

  /** Drops `count` packets that went out. */
  take(count) {
    if (this.encoder && count) this.encoder.take(count);
  }

  /** Decodes one reply's packets (60 ms each) into one block of samples. */
  decode(packets) {
    return this.decoder.decode(packets);
  }

  /**
   * Queues decoded `pcm` (a reply whose read interval starts at server clock `readStart`) to
   * play from local `frame`. The samples are handed to the worklet, not copied.
   */
  play(frame, pcm, readStart) {
    this.received.emit(readStart, pcm);
    this.engine.play(frame, pcm);
  }

  close() {
    if (this.encoder) this.encoder.close();
    this.decoder.close();
  }
}
