// brigade singer page: the clock math of one connection, in 48 kHz samples. No DOM, no audio,
// no network: importable from node.
//
// - On connect, GET /api gives the server clock; the first read ends `offset` seconds behind it,
//   rounded down to the 60 ms frame grid (so the server can share one Opus stream per delay).
// - One exchange per 600 ms batch, due in real time from the local frame of the first request.
//   read_clock and write_clock both advance by one batch per exchange.
// - Decoded reply audio, counted from the connection's first read sample, plays from local frame
//   `playStart` on; decoded audio trails the server's samples by the codec delay.
// - A microphone sample taken at local frame f was sung along with what played at f − latency,
//   so it is written at the server position of that audio. The server decodes the upload, which
//   again delays it by the codec delay: the write clock is moved earlier by two codec delays.
// - A re-anchor's connection goes on from the old one (continueFrom): its audio plays right after
//   the old one's and its uploads go on from the old one's, both moved by as much as its reads.

import { SAMPLE_RATE, BATCH_SAMPLES, FRAME_SAMPLES, firstReadClock } from './protocol.js';

/** Opus lookahead (6.5 ms at 48 kHz): decoded audio trails encoded audio by this much, per pass. */
export const CODEC_DELAY = 312;
/** Silence played before the first received sample; the margin for late replies. */
export const LEAD_IN = Math.round(0.5 * SAMPLE_RATE);

/** The server clock now, from a clock reply and its round trip (half of it spent on the way back). */
export function serverNowOf(serverClock, rttMs) {
  return Math.round(serverClock + ((rttMs / 2) * SAMPLE_RATE) / 1000);
}

export class ConnectionClock {
  /**
   * `serverNow`: the server clock at `sendFrame` (the local frame of the first request);
   * `offsetSeconds`: how far behind the server this singer reads; `latencySamples`: round trip.
   */
  constructor({ serverNow, offsetSeconds, sendFrame, latencySamples }) {
    this.firstReadEnd = firstReadClock(serverNow, offsetSeconds);
    /** Server sample where the decoded stream starts (start of the first read). */
    this.streamOrigin = this.firstReadEnd - BATCH_SAMPLES;
    this.sendFrame = sendFrame;
    this.latencySamples = latencySamples;
    /** End of the last read / write interval the server accepted (null before the first). */
    this.readEnd = null;
    this.writeEnd = null;
    /** Server sample of the first uploaded sample's interval start (set with playback). */
    this.writeStart = null;
    /** Samples of read time the exchanges have advanced past the first. */
    this.readAdvance = 0;
    this.accepted = 0;
    /** Local frame where decoded sample 0 plays, and decoded samples scheduled so far. */
    this.playStart = null;
    this.decodedSamples = 0;
    /** First microphone frame to upload (null until playback is scheduled). */
    this.captureFrom = null;
  }

  /**
   * The connection of a clock reply (`serverClock`, `rttMs`) that came at local `nowFrame`, whose
   * first exchange goes `spread` samples later: its reads are offset behind the server clock of
   * that moment, not of the reply's.
   */
  static fromClockReply({ serverClock, rttMs, nowFrame, spread, offsetSeconds, latencySamples }) {
    return new ConnectionClock({
      serverNow: serverNowOf(serverClock, rttMs) + spread,
      offsetSeconds,
      sendFrame: nowFrame + spread,
      latencySamples,
    });
  }

  /** read_clock of the next exchange of `n` samples. */
  nextReadClock(n) {
    return this.readEnd === null ? this.firstReadEnd : this.readEnd + n;
  }

  /** write_clock of the next exchange that uploads `n` samples. */
  nextWriteClock(n) {
    return (this.writeEnd === null ? this.writeStart : this.writeEnd) + n;
  }

  /** The local frame at which the next exchange of `n` samples is due (real time). */
  dueFrame(n) {
    return this.readEnd === null ? this.sendFrame : this.sendFrame + this.readAdvance + n;
  }

  /** The server accepted an exchange (writeClock null: read only). */
  accept(readClock, writeClock, n) {
    this.readEnd = readClock;
    this.readAdvance += this.accepted === 0 ? 0 : n;
    if (writeClock !== null) this.writeEnd = writeClock;
    this.accepted++;
  }

  /**
   * Fixes playback (first reply) at `nowFrame` + the lead-in, and with it where the microphone
   * is written. Returns the local frame where the next decoded block of `n` samples plays.
   */
  schedule(nowFrame, n) {
    if (this.playStart === null) {
      this.playStart = nowFrame + LEAD_IN;
      this.captureFrom = this.playStart + this.latencySamples;
      this.writeStart = this.serverClockOfMicFrame(this.captureFrom);
    }
    const frame = this.playStart + this.decodedSamples;
    this.decodedSamples += n;
    return frame;
  }

  /**
   * Makes this connection go on from `previous`, as a re-anchor does with the same codec pipeline
   * (before its first exchange; `previous` has played). Reads are realigned on the server's clock,
   * which moves them from where `previous` left off by `shift`: 0, or a frame once the drift has
   * rounded to the next one. Playback goes on right after `previous`'s audio and the upload
   * (the encoder's waiting packets) right after its last write, each moved by `shift`, so what the
   * singer hears and sings keeps its alignment. Returns `shift`, or null, changing nothing, when
   * the reads would move by more than a frame (the offset changed): that is a new start.
   */
  continueFrom(previous) {
    const shift = this.firstReadEnd - previous.nextReadClock(BATCH_SAMPLES);
    if (Math.abs(shift) > FRAME_SAMPLES || previous.playStart === null) return null;
    this.playStart = previous.playStart + previous.decodedSamples;
    this.captureFrom = previous.captureFrom;
    this.writeStart = (previous.writeEnd ?? previous.writeStart) + shift;
    return shift;
  }

  /**
   * Where the upload's sample taken at local `frame` goes in the written stream: the server
   * position of what played at frame − latency, less the encoder's delay (the server's decoder
   * puts it back) and our decoder's (what played was already that late).
   */
  serverClockOfMicFrame(frame) {
    return this.streamOrigin + frame - this.latencySamples - this.playStart - 2 * CODEC_DELAY;
  }

  /** The server clock of the audio playing at local `frame`, or null before playback starts. */
  playingClock(frame) {
    if (this.playStart === null) return null;
    return this.streamOrigin + frame - this.playStart;
  }
}
