// brigade singer page: the room as this singer knows it (settings, singers, song, chat) and what
// this singer asks of it (the outbox of controls, chat lines, levels and lyrics for the next
// exchange). No DOM, no network, no wording: refusals and confirmations are data for the UI.

import { ADMIN_PARAMS, SUMMARY_RECORD_BYTES, bucketOf, roundsSeconds } from './protocol.js';

/**
 * Level meters refresh at most this often (two exchanges: the second reply's n_connected_users
 * tells a page that joined a filling room the size of the listing a refresh would bring)...
 */
const LEVELS_MIN_MS = 1200;
/**
 * ...and no more often than keeps full summaries (51 bytes per singer) near this rate: the
 * server's budget for a changed listing is the same figure (server/summary_pace.hpp).
 */
const SUMMARY_BYTES_PER_SECOND = 2000;
/** Chat lines kept. */
const MAX_CHATS = 200;
/** Song controls the server may refuse (403/409) while someone else leads. */
export const SONG_PARAMS = ['request_lead', 'mark_start_singing', 'mark_stop_singing', 'hand_lead'];

export class RoomModel {
  constructor(userid) {
    this.userid = userid;
    /** Room settings as the server last reported them (metadata keys delivered once when changed). */
    this.bpm = 0;
    this.repeats = 0;
    this.bpr = 0;
    this.tracks = [];
    this.globalVolume = null;
    this.backingVolume = null;
    this.backingType = '';
    this.lyrics = '';
    this.firstBucket = 3;
    /** The song: leader id (string) or null, start and end clocks as the server sends them. */
    this.leader = null;
    this.songStart = 0;
    this.songEnd = 0;
    /** Singers as shown (with bucket), the listing as received and its version. */
    this.users = [];
    this.rawUsers = [];
    this.summaryVersion = null;
    this.summaryAt = 0;
    /** Singers connected, as the last reply said: the size of the listing the next summary brings. */
    this.connectedUsers = 0;
    /** {name, text, own}, oldest first. */
    this.chats = [];
    /** Outbox: one-shot parameters, chat lines, mic volumes and the JSON prefix (lyrics). */
    this.pendingParams = {};
    this.pendingChats = [];
    this.pendingMicVolumes = new Map();
    this.pendingJson = null;
    /** Re-lead once the server has taken new rounds settings (they decide the bucket positions). */
    this.releadAfterRounds = false;
  }

  /** The room settings alone (a plain object). */
  get settings() {
    const { bpm, repeats, bpr, tracks, globalVolume, backingVolume, backingType, lyrics } = this;
    return { bpm, repeats, bpr, tracks, globalVolume, backingVolume, backingType, lyrics };
  }

  /** 'none' | 'singing' | 'ended'. The server sends start 0 for no song and 1 for a halted one. */
  get songState() {
    if (this.songStart > 1 && !this.songEnd) return 'singing';
    if (this.songStart > 1 && this.songEnd) return 'ended';
    return 'none';
  }

  get isLeader() {
    return this.leader !== null && this.leader === this.userid;
  }

  // The outbox.
  flag(name) {
    this.pendingParams[name] = '1';
  }

  /** A later value replaces an unsent one. */
  setParams(params) {
    for (const [key, value] of Object.entries(params)) this.pendingParams[key] = String(value);
  }

  startSong(track) {
    if (track) this.pendingParams.track = track;
    this.flag('mark_start_singing');
  }

  applyRounds(bpm, repeats, bpr) {
    this.setParams({ bpm, repeats, bpr });
    const before = roundsSeconds(this.bpm, this.repeats, this.bpr);
    this.releadAfterRounds = this.isLeader && roundsSeconds(bpm, repeats, bpr) !== before;
  }

  setMicVolume(userid, value) {
    this.pendingMicVolumes.set(userid, value);
  }

  provideLyrics(text) {
    this.pendingJson = { lyrics: text };
  }

  setSolo(userid, on) {
    const [set, undo] = on ? ['monitor', 'unmonitor'] : ['unmonitor', 'monitor'];
    if (this.pendingParams[undo] === userid) delete this.pendingParams[undo];
    this.pendingParams[set] = userid;
  }

  sendChat(name, text) {
    this.pendingChats.push(text);
    this.chats.push({ name, text, own: true });
  }

  /** Takes everything queued for the next exchange. */
  takeOutbox() {
    const outbox = {
      params: this.pendingParams,
      chats: this.pendingChats,
      micVolumes: [...this.pendingMicVolumes],
      json: this.pendingJson,
    };
    this.pendingParams = {};
    this.pendingChats = [];
    this.pendingMicVolumes = new Map();
    this.pendingJson = null;
    return outbox;
  }

  /** Chat lines of an outbox that did not reach the server go out with the next one. */
  returnChats(chats) {
    if (chats.length) this.pendingChats = chats.concat(this.pendingChats);
  }

  /** The summary version to echo: null when the page wants the whole summary (levels too). */
  summaryVersionToSend(nowMs) {
    if (this.summaryVersion === null) return null;
    // Paced by the larger of the listing held and the one the next summary brings, as the server
    // paces a changed listing: a page that joined a filling room waits for the full one's size.
    const listed = Math.max(this.rawUsers.length, this.connectedUsers);
    const everyMs = Math.max(LEVELS_MIN_MS, (listed * SUMMARY_RECORD_BYTES * 1000) / SUMMARY_BYTES_PER_SECOND);
    return nowMs - this.summaryAt < everyMs ? this.summaryVersion : null;
  }

  /**
   * After a 403/409 (nothing applied): the outbox without the controls the server may have
   * refused, and the refusal {keys, area} ('song' | 'console').
   */
  refuse(outbox) {
    const params = { ...outbox.params };
    const ownStop = this.isLeader; // The leader may always stop its own song.
    const refusable = ADMIN_PARAMS.concat(SONG_PARAMS.filter((k) => !ADMIN_PARAMS.includes(k)));
    const keys = refusable.filter((k) => k in params && !(k === 'mark_stop_singing' && ownStop));
    if ('track' in params && 'mark_start_singing' in params && !keys.includes('mark_start_singing')) keys.push('mark_start_singing');
    // Controls over other singers (their level, solo) need the token too.
    const own = (id) => String(id) === String(this.userid);
    for (const k of ['monitor', 'unmonitor']) if (k in params && !own(params[k])) keys.push(k);
    const micVolumes = outbox.micVolumes.filter(([id]) => own(id));
    if (micVolumes.length < outbox.micVolumes.length) keys.push('mic_volume');
    for (const k of keys) delete params[k];
    if (keys.includes('mark_start_singing') || keys.includes('track')) this.releadAfterRounds = false;
    // Halting comes from the console; the other song controls from the Song card.
    const area = keys.some((k) => k === 'track' || (SONG_PARAMS.includes(k) && k !== 'mark_stop_singing')) ? 'song' : 'console';
    return { outbox: { ...outbox, params, micVolumes }, refusal: { keys, area } };
  }

  /**
   * After a successful exchange that carried `params`: the room-wide controls the server applied
   * ([{key, value}]), and a re-lead queued after new rounds.
   */
  confirm(params, m) {
    const applied = [];
    if ('volume' in params) applied.push({ key: 'volume', value: m.globalVolume ?? params.volume });
    if ('backing_volume' in params) applied.push({ key: 'backing_volume', value: m.backingVolume ?? params.backing_volume });
    if ('disableAutoGain' in params) applied.push({ key: 'disableAutoGain', value: params.disableAutoGain === '1' ? 'off' : 'on' });
    if ('mark_stop_singing' in params && m.song_start_clock === 1) applied.push({ key: 'halted', value: '' });
    if ('bpm' in params && this.releadAfterRounds) {
      this.releadAfterRounds = false;
      if (this.isLeader && this.songState !== 'singing') this.flag('request_lead');
    }
    return applied;
  }

  /**
   * Takes a reply's metadata `m` and summary `users` (null: unchanged) at `nowMs`. Returns the
   * delay (seconds) the server asks this singer to move to, or null.
   */
  apply(m, users, nowMs) {
    if (Number.isInteger(m.n_connected_users)) this.connectedUsers = m.n_connected_users;
    if (Number.isInteger(m.first_bucket)) this.firstBucket = m.first_bucket;
    for (const key of ['bpm', 'repeats', 'bpr']) if (Number.isInteger(m[key])) this[key] = m[key];
    if (Array.isArray(m.tracks)) this.tracks = m.tracks.map(String);
    if (typeof m.globalVolume === 'number') this.globalVolume = m.globalVolume;
    if (typeof m.backingVolume === 'number') this.backingVolume = m.backingVolume;
    if (typeof m.backing_track_type === 'string') this.backingType = m.backing_track_type;
    if (typeof m.lyrics === 'string') this.lyrics = m.lyrics;
    this.leader = m.leader === null || m.leader === undefined ? null : String(m.leader);
    this.songStart = m.song_start_clock || 0;
    this.songEnd = m.song_end_clock || 0;
    for (const [name, text] of m.chats || []) this.chats.push({ name, text, own: false });
    if (this.chats.length > MAX_CHATS) this.chats.splice(0, this.chats.length - MAX_CHATS);
    if (users !== null) {
      this.rawUsers = users;
      this.summaryAt = nowMs;
    }
    if (Number.isInteger(m.user_summary_version)) this.summaryVersion = m.user_summary_version;
    this.placeUsers();
    return Number.isInteger(m.delay_seconds) && m.delay_seconds > 0 ? m.delay_seconds : null;
  }

  /**
   * Takes a server push (WebSocket, README "Pushes"): the summary as rows [id, name, mic_volume,
   * rms, delay_seconds, flags] or chat lines [sender, text]. Returns whether it was understood.
   */
  applyPush(p, nowMs) {
    if (p.push === 'summary' && Array.isArray(p.users)) {
      this.rawUsers = p.users
        .filter((u) => Array.isArray(u) && u.length >= 6)
        .map(([id, name, micVolume, rms, delaySeconds, flags]) => ({
          id: String(id),
          name: String(name),
          micVolume: Number(micVolume),
          rms: Number(rms),
          delaySeconds: Number(delaySeconds),
          muted: (flags & 1) !== 0,
          soloed: (flags & 2) !== 0,
        }));
      this.summaryAt = nowMs;
      if (Number.isInteger(p.user_summary_version)) this.summaryVersion = p.user_summary_version;
      this.placeUsers();
      return true;
    }
    if (p.push === 'chats' && Array.isArray(p.chats)) {
      for (const line of p.chats) if (Array.isArray(line)) this.chats.push({ name: String(line[0]), text: String(line[1]), own: false });
      if (this.chats.length > MAX_CHATS) this.chats.splice(0, this.chats.length - MAX_CHATS);
      return true;
    }
    return false;
  }

  /** The listed singers with their buckets. */
  placeUsers() {
    this.users = this.rawUsers.map((u) => ({ ...u, bucket: bucketOf(u.delaySeconds, this.firstBucket) }));
  }

  /** This singer's delay as the server lists it, or null. */
  myDelaySeconds() {
    const me = this.users.find((u) => u.id === this.userid);
    return me ? me.delaySeconds : null;
  }
}
