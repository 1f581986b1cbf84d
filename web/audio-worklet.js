// brigade singer page: the AudioWorklet that captures the microphone and plays the received mix.
//
// Real-time rules: everything is allocated in the constructor; process() only copies between
// preallocated buffers and `outputs`, never logs, and counts underruns instead of reporting them.
// Capture leaves in fixed-size blocks whose buffers are transferred to the main thread and
// handed back ("recycle"), so the audio thread never allocates sample storage.
// Every sample is addressed by its AudioContext frame number (`currentFrame`).

const QUANTUM = 128;

class BrigadeProcessor extends AudioWorkletProcessor {
  constructor(options) {
    super();
    const opts = options.processorOptions;
    /** Samples per capture block sent to the main thread (a multiple of the quantum). */
    this.blockSamples = opts.blockSamples;
    /** Capture buffers not in use by the main thread. */
    this.pool = [];
    for (let i = 0; i < opts.poolBlocks; i++) this.pool.push(new Float32Array(this.blockSamples));
    /** The block being filled, its first frame, and how many samples it holds. */
    this.block = this.pool.pop();
    this.blockFrame = -1;
    this.blockFill = 0;
    /** Playback ring indexed by frame modulo its length. */
    this.ring = new Float32Array(opts.ringSamples);
    /** One past the last frame that received audio from the main thread. */
    this.filledUntil = 0;
    /** Frame from which output is expected (underruns count only after it). */
    this.playFrom = Infinity;
    /** Counters reported with each capture block. */
    this.underruns = 0;
    this.droppedBlocks = 0;
    /** Click train for latency calibration: first frame, interval, how many, width. */
    this.clickStart = 0;
    this.clickInterval = 1;
    this.clickEnd = 0;
    this.clickWidth = 48;
    /** The capture message and its transfer list, reused for every block. */
    this.micMessage = { type: 'mic', frame: 0, buf: null, underruns: 0, droppedBlocks: 0 };
    this.transfer = [null];
    this.port.onmessage = (e) => this.onMessage(e.data);
  }

  onMessage(m) {
    switch (m.type) {
      case 'play':
        this.write(m.frame, m.samples);
        break;
      case 'start':
        this.playFrom = m.frame;
        break;
      case 'flush':
        this.ring.fill(0);
        this.filledUntil = 0;
        this.playFrom = Infinity;
        break;
      case 'recycle':
        if (m.buf.length === this.blockSamples) this.pool.push(m.buf);
        break;
      case 'clicks':
        this.clickStart = m.start;
        this.clickInterval = m.interval;
        this.clickEnd = m.start + m.interval * m.count;
        this.clickWidth = m.width;
        break;
      default:
        break;
    }
  }

  /** Copies decoded audio for frames [frame, frame + samples.length) into the ring. */
  write(frame, samples) {
    const size = this.ring.length;
    let start = 0;
    if (frame < currentFrame) start = currentFrame - frame; // Too late for these samples.
    const end = Math.min(samples.length, currentFrame + size - frame);
    for (let i = start; i < end; i++) this.ring[(frame + i) % size] = samples[i];
    if (end > start) this.filledUntil = Math.max(this.filledUntil, frame + end);
  }

  process(inputs, outputs) {
    const frame = currentFrame;
    const input = inputs[0] && inputs[0][0];
    this.capture(frame, input);
    const out = outputs[0] && outputs[0][0];
    if (!out) return true;
    const size = this.ring.length;
    for (let i = 0; i < QUANTUM; i++) {
      const at = (frame + i) % size;
      out[i] = this.ring[at];
      this.ring[at] = 0;
    }
    if (frame >= this.playFrom && frame + QUANTUM > this.filledUntil) this.underruns++;
    if (frame + QUANTUM > this.clickStart && frame < this.clickEnd) this.clicks(frame, out);
    return true;
  }

  /** Adds calibration clicks that fall into this quantum. */
  clicks(frame, out) {
    for (let i = 0; i < QUANTUM; i++) {
      const t = frame + i - this.clickStart;
      if (t < 0 || frame + i >= this.clickEnd) continue;
      const phase = t % this.clickInterval;
      if (phase < this.clickWidth) out[i] += phase % 8 < 4 ? 0.9 : -0.9;
    }
  }

  /** Appends one quantum of microphone input (silence when there is none) to the capture block. */
  capture(frame, input) {
    if (!this.block) {
      this.block = this.pool.pop() || null;
      if (!this.block) {
        this.droppedBlocks++;
        return;
      }
      this.blockFill = 0;
    }
    if (this.blockFill === 0) this.blockFrame = frame;
    const dst = this.block;
    if (input) dst.set(input, this.blockFill);
    else dst.fill(0, this.blockFill, this.blockFill + QUANTUM);
    this.blockFill += QUANTUM;
    if (this.blockFill < this.blockSamples) return;
    const m = this.micMessage;
    m.frame = this.blockFrame;
    m.buf = dst;
    m.underruns = this.underruns;
    m.droppedBlocks = this.droppedBlocks;
    this.transfer[0] = dst.buffer;
    this.port.postMessage(m, this.transfer);
    m.buf = null;
    this.transfer[0] = null;
    this.block = this.pool.pop() || null;
    this.blockFill = 0;
  }
}

registerProcessor('brigade-processor', BrigadeProcessor);
