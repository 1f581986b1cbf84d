// brigade singer page: the leader's song setup (backing track, upload, metronome and rounds) and
// the lyrics card. UI layer: words and DOM; the session carries every request.

import { MAX_UPLOAD_BYTES, MAX_LYRICS_CHARS } from './protocol.js';
import { uploadProblemText } from './wording.js';
import { $, showNotice, showLatestNotice } from './ui-common.js';

const BACKING_TYPE_LABELS = { Metronome: 'metronome', 'Backing Track': 'backing track' };

let getSession = () => null;
/** Where the track list comes from (the transport). */
let transport = null;
let tracks = [];
let tracksFetched = false;
/** The room's rounds settings last written into the inputs ("bpm/repeats/bpr"), and those sent. */
let roundsShown = null;
let roundsSent = null;

async function refreshTracks() {
  try {
    tracks = await transport.tracks();
    tracksFetched = true;
  } catch (err) {
    const why = err.network ? 'the server cannot be reached' : err.serverMessage || err.message;
    showNotice($('upload-status'), 'refused', `Could not load the list of backing tracks (${why}).`);
  }
  renderTracks();
}

function renderTracks() {
  const session = getSession();
  const select = $('track-select');
  const list = tracksFetched ? tracks : session ? session.room.tracks : [];
  const have = Array.from(select.options).slice(1).map((o) => o.value);
  if (have.length === list.length && have.every((t, i) => t === list[i])) return;
  const chosen = select.value;
  const none = select.options[0];
  select.replaceChildren(none);
  for (const t of list) select.append(new Option(t, t));
  select.value = list.includes(chosen) ? chosen : '';
}

async function uploadTrack(file) {
  const status = $('upload-status');
  if (file.size > MAX_UPLOAD_BYTES) {
    showNotice(status, 'refused', `“${file.name}” is larger than 32 MB; please use a shorter or mono file.`);
    return;
  }
  const session = getSession();
  $('track-upload').disabled = true;
  showNotice(status, 'info', `Uploading “${file.name}”…`);
  try {
    // With --admin-token, uploads are an operator's action too (the session sends the token).
    const { track, tracks: list } = await session.upload(file);
    if (list) tracks = list;
    tracksFetched = true;
    renderTracks();
    $('track-select').value = track;
    showNotice(status, 'ok', `Uploaded “${file.name}” as “${track}”, chosen for the next song.`);
  } catch (err) {
    showNotice(status, 'refused', uploadProblemText(file.name, err));
  } finally {
    $('track-upload').disabled = false;
    $('track-file').value = '';
  }
}

function readInt(id, max) {
  const el = $(id);
  const v = Number(el.value || '0');
  if (!Number.isInteger(v) || v < 0 || v > max) {
    el.focus();
    return null;
  }
  return v;
}

export function initSongSetup(sessionGetter, tracksFrom) {
  getSession = sessionGetter;
  transport = tracksFrom;
  $('track-upload').addEventListener('click', () => $('track-file').click());
  $('track-select').addEventListener('change', () => {
    if ($('upload-status').classList.contains('ok')) showNotice($('upload-status'), 'ok', '');
  });
  $('track-file').addEventListener('change', () => {
    const file = $('track-file').files[0];
    if (file) uploadTrack(file);
  });
  $('rounds-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const bpm = readInt('bpm', 500);
    const repeats = readInt('repeats', 20);
    const bpr = readInt('bpr', 500);
    if (bpm === null || repeats === null || bpr === null) {
      $('rounds-status').textContent = 'Use whole numbers: beats per minute 0–500, rounds 0–20, beats per round 0–500.';
      return;
    }
    getSession().applyRounds(bpm, repeats, bpr);
    $('rounds-status').textContent = 'Sent; waiting for the server…';
    roundsSent = { bpm, repeats, bpr };
  });
}

export function renderSongSetup(session) {
  const st = session.songState;
  const setup = $('song-setup');
  const visible = session.isLeader && st !== 'singing';
  if (visible && setup.hidden) refreshTracks();
  setup.hidden = !visible;
  renderTracks();
  const r = session.room;
  if (roundsSent && r.bpm === roundsSent.bpm && r.repeats === roundsSent.repeats && r.bpr === roundsSent.bpr) {
    roundsSent = null;
  }
  if (!roundsSent) {
    $('rounds-status').textContent = r.bpm > 0
      ? `Metronome at ${r.bpm} beats per minute${r.repeats > 0 && r.bpr > 0 ? `, ${r.repeats} rounds of ${r.bpr} beats` : ''}.`
      : 'No metronome.';
    // Show the room's values when they change, not on every render: a render between typing
    // one field and pressing Apply must not undo what the leader typed in another.
    const shown = `${r.bpm}/${r.repeats}/${r.bpr}`;
    if (shown !== roundsShown) {
      roundsShown = shown;
      for (const key of ['bpm', 'repeats', 'bpr']) if (document.activeElement !== $(key)) $(key).value = String(r[key]);
    }
  }
  const backing = $('backing-now');
  const type = BACKING_TYPE_LABELS[r.backingType];
  backing.hidden = !(type && st === 'singing');
  backing.textContent = r.backingType === 'Metronome' ? `Backing: metronome at ${r.bpm} beats per minute.` : `Backing: ${type}.`;
  showLatestNotice(session, $('song-notice'), 'song');
}

// Lyrics: everyone sees them; the leader can provide them.
export function initLyrics() {
  $('lyrics-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const text = $('lyrics-input').value.slice(0, MAX_LYRICS_CHARS);
    getSession().provideLyrics(text);
  });
}

export function renderLyrics(session) {
  const lyrics = session.room.lyrics;
  $('lyrics-card').hidden = !(lyrics || session.isLeader);
  const shown = $('lyrics-text');
  if (shown.textContent !== lyrics) shown.textContent = lyrics;
  shown.hidden = !lyrics;
  $('lyrics-empty').hidden = Boolean(lyrics) || session.isLeader;
  $('lyrics-form').hidden = !session.isLeader;
}
