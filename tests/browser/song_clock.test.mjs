// The singer page's timing cues (web/song-clock.js) in plain node: countdown before the song
// reaches a bucket, the song clock, "later buckets finishing", the count-in.

import test from 'node:test';
import assert from 'node:assert/strict';
import { songCue, clockText, countInBeats } from '../../web/song-clock.js';

const R = 48000;
const S = 1000 * R; // song start

test('no song, or nothing playing yet: no cue', () => {
  assert.equal(songCue({ songStart: 0, songEnd: 0, playing: S, serverNow: S, lastDelaySeconds: 9 }).phase, 'none');
  assert.equal(songCue({ songStart: S, songEnd: 0, playing: null, serverNow: null, lastDelaySeconds: 9 }).phase, 'none');
});

test('before the song reaches this bucket: a countdown in whole seconds', () => {
  const c = songCue({ songStart: S, songEnd: 0, playing: S - 3.2 * R, serverNow: S + 2 * R, lastDelaySeconds: 9 });
  assert.equal(c.phase, 'coming');
  assert.equal(c.countdown, 'The song reaches you in 4 s.');
  assert.equal(c.clock, '');
});

test('during the song: the song clock counts from the start', () => {
  const c = songCue({ songStart: S, songEnd: 0, playing: S + 75.4 * R, serverNow: S + 80 * R, lastDelaySeconds: 9 });
  assert.equal(c.phase, 'singing');
  assert.equal(c.clock, '1:15');
  assert.equal(c.countdown, '');
});

test('after this bucket is done, later buckets still finish; then it is over', () => {
  const end = S + 60 * R;
  const later = songCue({ songStart: S, songEnd: end, playing: end + R, serverNow: end + 4 * R, lastDelaySeconds: 9 });
  assert.equal(later.phase, 'later');
  assert.equal(later.countdown, 'Later buckets finishing: 5 s.');
  assert.equal(later.clock, '1:00', 'the clock stops at the end');
  const over = songCue({ songStart: S, songEnd: end, playing: end + 10 * R, serverNow: end + 13 * R, lastDelaySeconds: 9 });
  assert.equal(over.phase, 'over');
  assert.equal(over.countdown, '');
});

test('clock text and count-in', () => {
  assert.equal(clockText(0), '0:00');
  assert.equal(clockText(3599.9), '59:59');
  assert.deepEqual(countInBeats(0), { beats: 4, beatMs: 600 });
  assert.deepEqual(countInBeats(120), { beats: 4, beatMs: 500 });
});
