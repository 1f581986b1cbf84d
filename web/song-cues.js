// brigade singer page: the song card's cues and controls: taking the lead (with a confirmation
// when someone else leads), handing it over, the leader's count-in, the song clock, the
// follower's countdowns, and the link to the song's recording once it ends.

import { songCue, countInBeats } from './song-clock.js';
import { fetchRecordings, withToken } from './recordings-api.js';

const $ = (id) => document.getElementById(id);
const RATE = 48000;
/** How often the page looks for the ended song's recording. */
const RECORDING_POLL_MS = 2000;

let engine = null;
let getSession = () => null;
/** Count-in in progress: {until, beatMs, started}. */
let countIn = null;
/** The recording being looked for: {songStart, timer, found}. */
let wanted = null;

export const cues = { countdown: '', clock: '', phase: 'none', recordingUrl: '', recordingNote: '' };

function askToLead() {
  const s = getSession();
  const other = s.leader && !s.isLeader ? s.users.find((u) => u.id === s.leader) : null;
  if (!other) {
    s.flag('request_lead');
    return;
  }
  $('lead-confirm-text').textContent = `${other.name} is leading. Take the lead from them? They will sing in a later bucket.`;
  $('lead-confirm').hidden = false;
  $('lead-confirm-yes').focus();
}

export function initSongCues(audio, sessionGetter) {
  engine = audio;
  getSession = sessionGetter;
  $('lead').addEventListener('click', askToLead);
  $('lead-confirm-yes').addEventListener('click', () => {
    $('lead-confirm').hidden = true;
    getSession().flag('request_lead');
  });
  $('lead-confirm-no').addEventListener('click', () => {
    $('lead-confirm').hidden = true;
    $('lead').focus();
  });
  $('hand-go').addEventListener('click', () => {
    const to = $('hand-to').value;
    if (to) getSession().setParams({ hand_lead: to });
  });
}

/** The leader's start: a count-in of four beats (clicks and numbers), then the song starts. */
export function countInAndStart(track) {
  const s = getSession();
  if (countIn) return;
  const { beats, beatMs } = countInBeats(s.room.bpm);
  countIn = { started: performance.now(), beats, beatMs };
  $('start-singing').disabled = true;
  engine.clicks(engine.nowFrame() + Math.round(0.05 * RATE), Math.round((beatMs / 1000) * RATE), beats);
  setTimeout(() => {
    countIn = null;
    $('start-singing').disabled = false;
    s.startSong(track);
  }, beats * beatMs);
}

function renderHandOver(s) {
  const others = s.users.filter((u) => u.id !== s.userid);
  $('hand-over').hidden = !s.isLeader || others.length === 0;
  const select = $('hand-to');
  const want = others.map((u) => `${u.id}:${u.name}`).join('|');
  if (select.dataset.list !== want) {
    select.dataset.list = want;
    select.replaceChildren(...others.map((u) => new Option(u.name, u.id)));
  }
}

async function lookForRecording() {
  if (!wanted || wanted.found) return;
  const res = await fetchRecordings();
  if (!wanted) return;
  if (res.error) {
    cues.recordingNote = res.needsToken ? 'Recordings on this server are private: ask the operator.' : '';
  } else {
    const r = res.data.recordings.find((x) => x.song_start_clock === wanted.songStart);
    if (r) {
      cues.recordingUrl = withToken(r.url);
      cues.recordingNote = r.finished ? '' : '(being finished…)';
      if (r.finished) wanted.found = true;
    }
  }
  renderRecording();
  if (!wanted.found) wanted.timer = setTimeout(lookForRecording, RECORDING_POLL_MS);
}

function renderRecording() {
  const box = $('recording-link');
  box.hidden = !wanted || (!cues.recordingUrl && !cues.recordingNote);
  const a = $('recording-href');
  a.hidden = !cues.recordingUrl;
  if (cues.recordingUrl && a.getAttribute('href') !== cues.recordingUrl) a.href = cues.recordingUrl;
  $('recording-note').textContent = cues.recordingNote;
  const audio = $('recording-audio');
  const ready = Boolean(wanted && wanted.found);
  audio.hidden = !ready;
  if (ready && audio.getAttribute('src') !== cues.recordingUrl) audio.src = cues.recordingUrl;
}

export function renderSongCues() {
  const s = getSession();
  renderHandOver(s);
  if (s.songState === 'ended' && s.songStart > 1 && (!wanted || wanted.songStart !== s.songStart)) {
    if (wanted) clearTimeout(wanted.timer);
    wanted = { songStart: s.songStart, timer: null, found: false };
    cues.recordingUrl = '';
    cues.recordingNote = '';
    lookForRecording();
  } else if (s.songState === 'singing' && wanted) {
    clearTimeout(wanted.timer);
    wanted = null;
    cues.recordingUrl = '';
    renderRecording();
  }
}

/** Called every UI tick: countdowns and the song clock follow the audio playing now. */
export function tickSongCues() {
  const s = getSession();
  const playing = s.playingClock();
  const lastDelaySeconds = Math.max(0, ...s.users.map((u) => u.delaySeconds || 0));
  const myDelay = s.stats.delaySeconds ?? s.offsetSeconds;
  const cue = songCue({
    songStart: s.songStart,
    songEnd: s.songEnd,
    playing,
    serverNow: playing === null ? null : playing + myDelay * RATE,
    lastDelaySeconds,
  });
  let countdown = cue.countdown;
  if (countIn) {
    const beat = Math.floor((performance.now() - countIn.started) / countIn.beatMs);
    countdown = `Count-in: ${Math.max(1, countIn.beats - beat)}…`;
  }
  Object.assign(cues, { countdown, clock: cue.clock, phase: cue.phase });
  const c = $('song-countdown');
  c.hidden = !countdown;
  if (c.textContent !== countdown) c.textContent = countdown;
  const clock = $('song-clock');
  clock.hidden = !cue.clock;
  const text = cue.clock ? `Song clock ${cue.clock}` : '';
  if (clock.textContent !== text) clock.textContent = text;
}
