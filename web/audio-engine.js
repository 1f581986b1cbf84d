// brigade singer page: the AudioContext, the microphone, and the worklet that captures and plays.
// Every position is an AudioContext frame number (48 kHz samples since the context started).

import { SAMPLE_RATE } from './protocol.js';
import { Observers } from './observers.js';

/** Capture block size: 15 render quanta (40 ms). */
const BLOCK_SAMPLES = 15 * 128;
/** Capture buffers circulating between the worklet and this thread. */
const POOL_BLOCKS = 64;
/** Playback ring: room for the lead-in plus several replies. */
const RING_SECONDS = 16;

/** A fixed-length history of the most recent samples of a stream. */
export class SampleHistory {
  constructor(seconds) {
    this.buf = new Float32Array(Math.round(seconds * SAMPLE_RATE));
    this.at = 0;
    this.filled = 0;
  }

  push(samples) {
    const size = this.buf.length;
    let src = samples;
    if (src.length > size) src = src.subarray(src.length - size);
    const first = Math.min(src.length, size - this.at);
    this.buf.set(src.subarray(0, first), this.at);
    this.buf.set(src.subarray(first), 0);
    this.at = (this.at + src.length) % size;
    this.filled = Math.min(size, this.filled + src.length);
  }

  /** The latest `n` samples (fewer if not yet filled), oldest first. */
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

  clear() {
    this.buf.fill(0);
    this.at = 0;
    this.filled = 0;
  }
}

export class AudioEngine {
  constructor() {
    this.ctx = null;
    this.node = null;
    this.stream = null;
    /** Told (frame, samples) for each capture block; samples are only valid during the call. */
    this.mic = new Observers();
    /** Worklet counters from the latest block. */
    this.underruns = 0;
    this.droppedBlocks = 0;
    /** Peak of the latest capture block, for the meter. */
    this.micPeak = 0;
    /** The last seconds of the microphone, for the level check. */
    this.micHistory = new SampleHistory(4);
    /** Chosen devices ('' = the system default), the input gain and the speaker switch. */
    this.inputDeviceId = '';
    this.outputDeviceId = '';
    this.source = null;
    this.inputGain = null;
    this.speakers = null;
    this.recycle = { type: 'recycle', buf: null };
    this.recycleTransfer = [null];
  }

  /** Creates the context and worklet; asks for the microphone unless `listenOnly`. */
  async start({ listenOnly }) {
    if (!this.ctx) {
      this.ctx = new AudioContext({ sampleRate: SAMPLE_RATE, latencyHint: 'interactive' });
      if (this.ctx.sampleRate !== SAMPLE_RATE) throw new Error('The audio system would not run at 48 kHz.');
      await this.ctx.audioWorklet.addModule(new URL('./audio-worklet.js', import.meta.url));
      this.node = new AudioWorkletNode(this.ctx, 'brigade-processor', {
        numberOfInputs: 1,
        numberOfOutputs: 1,
        outputChannelCount: [1],
        channelCount: 1,
        channelCountMode: 'explicit',
        processorOptions: {
          blockSamples: BLOCK_SAMPLES,
          poolBlocks: POOL_BLOCKS,
          ringSamples: RING_SECONDS * SAMPLE_RATE,
        },
      });
      this.node.port.onmessage = (e) => this.onWorkletMessage(e.data);
      // Microphone → input gain → worklet → speaker switch → output.
      this.inputGain = new GainNode(this.ctx, { gain: 1 });
      this.inputGain.connect(this.node);
      this.speakers = new GainNode(this.ctx, { gain: 1 });
      this.node.connect(this.speakers).connect(this.ctx.destination);
      if (this.outputDeviceId) await this.setOutput(this.outputDeviceId);
    }
    if (!listenOnly && !this.stream) await this.openMic();
    if (this.ctx.state !== 'running') await this.ctx.resume();
  }

  async openMic() {
    const audio = { echoCancellation: false, noiseSuppression: false, autoGainControl: false, channelCount: 1 };
    if (this.inputDeviceId) audio.deviceId = { exact: this.inputDeviceId };
    const stream = await navigator.mediaDevices.getUserMedia({ audio });
    if (this.source) this.source.disconnect();
    if (this.stream) for (const t of this.stream.getTracks()) t.stop();
    this.stream = stream;
    this.source = this.ctx.createMediaStreamSource(stream);
    this.source.connect(this.inputGain);
  }

  /** Audio inputs and outputs ({deviceId, label}); labels appear once the microphone is allowed. */
  async devices() {
    const all = await navigator.mediaDevices.enumerateDevices();
    const pick = (kind) => all.filter((d) => d.kind === kind).map((d, i) => ({ deviceId: d.deviceId, label: d.label || `${kind === 'audioinput' ? 'Microphone' : 'Output'} ${i + 1}` }));
    return { inputs: pick('audioinput'), outputs: pick('audiooutput') };
  }

  /** Switches the microphone (it keeps its gain and listeners). */
  async setInput(deviceId) {
    this.inputDeviceId = deviceId;
    if (this.stream) await this.openMic();
  }

  /** Whether this browser can choose where the page's audio plays. */
  get canChooseOutput() {
    return typeof AudioContext !== 'undefined' && 'setSinkId' in AudioContext.prototype;
  }

  /** Plays everything (the choir, calibration clicks, test sounds) on `deviceId`. */
  async setOutput(deviceId) {
    this.outputDeviceId = deviceId;
    if (this.ctx && this.canChooseOutput) await this.ctx.setSinkId(deviceId);
  }

  /** Microphone gain (linear, applied before the level meter, the upload and calibration). */
  setInputGain(gain) {
    if (this.inputGain) this.inputGain.gain.value = gain;
  }

  /** Silences the choir in this tab (the microphone keeps sending). */
  setSpeakersMuted(on) {
    if (this.speakers) this.speakers.gain.value = on ? 0 : 1;
  }

  get hasMic() {
    return this.stream !== null;
  }

  onWorkletMessage(m) {
    if (m.type !== 'mic') return;
    this.underruns = m.underruns;
    this.droppedBlocks = m.droppedBlocks;
    let peak = 0;
    const buf = m.buf;
    for (let i = 0; i < buf.length; i++) peak = Math.max(peak, Math.abs(buf[i]));
    this.micPeak = peak;
    if (this.stream) this.micHistory.push(buf);
    this.mic.emit(m.frame, buf);
    // The block goes back to the worklet's pool (message and transfer list reused).
    this.recycle.buf = buf;
    this.recycleTransfer[0] = buf.buffer;
    this.node.port.postMessage(this.recycle, this.recycleTransfer);
    this.recycle.buf = null;
    this.recycleTransfer[0] = null;
  }

  /** The frame the worklet will render next. */
  nowFrame() {
    return Math.round(this.ctx.currentTime * SAMPLE_RATE);
  }

  /** Queues `samples` to play from `frame` on. */
  play(frame, samples) {
    this.node.port.postMessage({ type: 'play', frame, samples }, [samples.buffer]);
  }

  /** Tells the worklet that audio is expected from `frame` on (underrun counting). */
  expectFrom(frame) {
    this.node.port.postMessage({ type: 'start', frame });
  }

  /** Drops all queued playback. */
  flush() {
    if (this.node) this.node.port.postMessage({ type: 'flush' });
  }

  /** Plays `count` clicks, `interval` frames apart, from `start`. */
  clicks(start, interval, count) {
    this.node.port.postMessage({ type: 'clicks', start, interval, count, width: 48 });
  }

  /** A short two-note chime through the speakers, for the output test. */
  chime() {
    const t = this.ctx.currentTime + 0.05;
    for (const [i, freq] of [523.25, 783.99].entries()) {
      const osc = this.ctx.createOscillator();
      const gain = this.ctx.createGain();
      osc.frequency.value = freq;
      gain.gain.setValueAtTime(0, t + i * 0.25);
      gain.gain.linearRampToValueAtTime(0.3, t + i * 0.25 + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.001, t + i * 0.25 + 0.6);
      osc.connect(gain).connect(this.ctx.destination);
      osc.start(t + i * 0.25);
      osc.stop(t + i * 0.25 + 0.65);
    }
  }
}
