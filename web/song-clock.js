// brigade singer page: timing cues from the song's clocks, as pure functions (no DOM), so they
// are easy to test. All clocks are server samples at 48 kHz.

const RATE = 48000;

/** 75.4 → "1:15". */
export function clockText(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

/**
 * What a singer should see now. `playing` is the server clock of the audio playing in this tab,
 * `serverNow` the server clock, `lastDelaySeconds` the delay of the last bucket.
 * Returns {phase, countdown, clock}: phase 'none' | 'coming' | 'singing' | 'later' | 'over'.
 */
export function songCue({ songStart, songEnd, playing, serverNow, lastDelaySeconds }) {
  if (!(songStart > 1) || playing === null) return { phase: 'none', countdown: '', clock: '' };
  if (playing < songStart) {
    const s = Math.ceil((songStart - playing) / RATE);
    return { phase: 'coming', countdown: `The song reaches you in ${s} s.`, clock: '' };
  }
  const end = songEnd > 1 ? songEnd : null;
  const elapsed = ((end !== null ? Math.min(playing, end) : playing) - songStart) / RATE;
  if (end === null || playing < end) return { phase: 'singing', countdown: '', clock: clockText(elapsed) };
  const lastDone = end + lastDelaySeconds * RATE;
  if (serverNow !== null && serverNow < lastDone) {
    const s = Math.ceil((lastDone - serverNow) / RATE);
    return { phase: 'later', countdown: `Later buckets finishing: ${s} s.`, clock: clockText(elapsed) };
  }
  return { phase: 'over', countdown: '', clock: clockText(elapsed) };
}

/** Beats of the count-in before the leader starts: 4 at the song's tempo (100 bpm without one). */
export function countInBeats(bpm) {
  const tempo = bpm > 0 ? bpm : 100;
  return { beats: 4, beatMs: 60000 / tempo };
}
