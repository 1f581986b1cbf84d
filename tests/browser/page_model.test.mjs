// Unit tests of the singer page's modules that need no browser: the clock math (web/clock.js),
// the room model (web/room-model.js), the wording of session states and notices
// (web/wording.js), the observers (web/observers.js) and how transport failures become session
// problems (web/session.js).

import test from 'node:test';
import assert from 'node:assert/strict';
import { ConnectionClock, CODEC_DELAY, LEAD_IN, serverNowOf } from '../../web/clock.js';
import { RoomModel } from '../../web/room-model.js';
import { statusText, noticeText, problemText, uploadProblemText } from '../../web/wording.js';
import { Observers } from '../../web/observers.js';
import { SessionError } from '../../web/session.js';
import { connectSpreadSamples, failureWaitMs, reanchorSpreadSamples } from '../../web/reconnect.js';
import { TransportError } from '../../web/transport.js';

const R = 48000;
const BATCH = 28800;
const FRAME = 2880;

test('serverNowOf adds half the round trip', () => {
  assert.equal(serverNowOf(1000000, 20), 1000000 + 480);
});

test('the first read ends on the frame grid, offset seconds behind the server', () => {
  const c = new ConnectionClock({ serverNow: 1e9 + 1234, offsetSeconds: 6, sendFrame: 500, latencySamples: 7200 });
  assert.equal(c.firstReadEnd % FRAME, 0);
  assert.ok(c.firstReadEnd <= 1e9 + 1234 - 6 * R && c.firstReadEnd > 1e9 + 1234 - 6 * R - FRAME);
  assert.equal(c.streamOrigin, c.firstReadEnd - BATCH);
  assert.equal(c.nextReadClock(BATCH), c.firstReadEnd);
  assert.equal(c.dueFrame(BATCH), 500, 'the first exchange is due at once');
});

test('exchanges advance read and write clocks by one batch and are due in real time', () => {
  const c = new ConnectionClock({ serverNow: 5e8, offsetSeconds: 3, sendFrame: 1000, latencySamples: 4800 });
  c.accept(c.nextReadClock(BATCH), null, BATCH);
  assert.equal(c.dueFrame(BATCH), 1000 + BATCH, 'the second exchange is due one batch after the first');
  const frame = c.schedule(20000, BATCH);
  assert.equal(frame, 20000 + LEAD_IN);
  assert.equal(c.captureFrom, c.playStart + 4800);
  const w1 = c.nextWriteClock(BATCH);
  c.accept(c.nextReadClock(BATCH), w1, BATCH);
  assert.equal(c.nextWriteClock(BATCH), w1 + BATCH);
  assert.equal(c.nextReadClock(BATCH), c.firstReadEnd + 2 * BATCH);
  assert.equal(c.schedule(99999, BATCH), c.playStart + BATCH, 'decoded audio plays back to back');
});

test('a connection starts a random part of a batch after its clock reply, reading from then', () => {
  // Connections begun by one burst of replies must not send together ever after (reconnect.js).
  const spreads = Array.from({ length: 10 }, (_, i) => connectSpreadSamples(() => i / 10));
  assert.deepEqual(spreads, Array.from({ length: 10 }, (_, i) => (i * BATCH) / 10));
  assert.equal(connectSpreadSamples(() => 0.999999), BATCH - 1, 'never a whole batch');
  const drawn = Array.from({ length: 50 }, () => connectSpreadSamples());
  assert.ok(Math.max(...drawn) - Math.min(...drawn) > BATCH / 2, `50 draws spread: ${drawn}`);

  const reply = { serverClock: 1e9, rttMs: 40, offsetSeconds: 6, latencySamples: 7200 };
  const now = new ConnectionClock({ ...reply, serverNow: serverNowOf(1e9, 40), sendFrame: 500 });
  const later = ConnectionClock.fromClockReply({ ...reply, nowFrame: 500, spread: 12345 });
  assert.equal(later.dueFrame(BATCH), 500 + 12345, 'the first exchange waits for the spread');
  assert.equal(later.firstReadEnd % FRAME, 0);
  const behind = serverNowOf(1e9, 40) + 12345 - 6 * R;
  assert.ok(later.firstReadEnd <= behind && later.firstReadEnd > behind - FRAME, 'offset behind the server at the first exchange');
  assert.ok(later.firstReadEnd > now.firstReadEnd, 'later than a connection that starts at once');
  assert.equal(ConnectionClock.fromClockReply({ ...reply, nowFrame: 500, spread: 0 }).firstReadEnd, now.firstReadEnd);
});

test('a re-anchor keeps its old connection\'s phase, and its reads go on without a gap', () => {
  // Near capacity, late replies look like drift to many singers at once: they must not start
  // together again (reconnect.js). Old connection: clock reply at frame 500, three exchanges.
  const reply = { rttMs: 40, offsetSeconds: 6, latencySamples: 7200 };
  const old = ConnectionClock.fromClockReply({ ...reply, serverClock: 1e9, nowFrame: 500, spread: 0 });
  for (let i = 0; i < 3; i++) old.accept(old.nextReadClock(BATCH), null, BATCH);
  const due = old.dueFrame(BATCH);
  assert.equal(due, 500 + 3 * BATCH);
  // Its clock reply came 10000 samples before that; this device's clock kept time.
  const now = due - 10000;
  const spread = reanchorSpreadSamples(due, now);
  assert.equal(spread, 10000);
  const next = ConnectionClock.fromClockReply({ ...reply, serverClock: 1e9 + now - 500, nowFrame: now, spread });
  assert.equal(next.dueFrame(BATCH), due, 'the first exchange goes when the old one was due');
  assert.equal(next.nextReadClock(BATCH), old.nextReadClock(BATCH), 'the first read follows the last one');
  assert.equal(reanchorSpreadSamples(due, due + 5), 0, 'at once when that moment has passed');
  assert.equal(reanchorSpreadSamples(due, due - 3 * BATCH), BATCH, 'never more than a batch');
});

test('a re-anchor goes on from its old connection: playback and upload without a gap', () => {
  const reply = { rttMs: 40, offsetSeconds: 6, latencySamples: 7200 };
  const old = ConnectionClock.fromClockReply({ ...reply, serverClock: 1e9, nowFrame: 500, spread: 0 });
  // Three exchanges, each reply 2000 samples after it was due; the last two upload.
  for (let i = 0; i < 3; i++) {
    const due = old.dueFrame(BATCH);
    const read = old.nextReadClock(BATCH);
    old.accept(read, i > 0 ? old.nextWriteClock(BATCH) : null, BATCH);
    old.schedule(due + 2000, BATCH);
  }
  const due = old.dueFrame(BATCH);
  const now = due - 10000;
  const again = (serverClock) =>
    ConnectionClock.fromClockReply({ ...reply, serverClock, nowFrame: now, spread: reanchorSpreadSamples(due, now) });

  // The device kept time: the reads go on from the old ones, and so does everything else.
  const next = again(1e9 + now - 500);
  assert.equal(next.continueFrom(old), 0);
  assert.equal(next.nextReadClock(BATCH), old.nextReadClock(BATCH));
  assert.equal(next.nextWriteClock(BATCH), old.nextWriteClock(BATCH), 'the upload goes on from the last write');
  assert.equal(next.captureFrom, old.captureFrom, 'the same microphone stream');
  next.accept(next.nextReadClock(BATCH), next.nextWriteClock(BATCH), BATCH);
  assert.equal(next.schedule(due + 1000, BATCH), old.playStart + 3 * BATCH, 'plays right after the old audio, however soon its reply');
  for (const f of [next.playStart, next.playStart + 5000]) {
    assert.equal(next.playingClock(f), old.playingClock(f));
    assert.equal(next.serverClockOfMicFrame(f + 7200), old.serverClockOfMicFrame(f + 7200));
  }

  // The device ran a frame slow: reads skip a frame, and the upload moves with them, so what the
  // singer sings still lands on what they heard.
  const skip = again(1e9 + now - 500 + FRAME);
  assert.equal(skip.continueFrom(old), FRAME);
  assert.equal(skip.nextReadClock(BATCH), old.nextReadClock(BATCH) + FRAME);
  assert.equal(skip.nextWriteClock(BATCH), old.nextWriteClock(BATCH) + FRAME);
  const sung = old.playStart + 3 * BATCH + 7200;
  assert.equal(skip.serverClockOfMicFrame(sung), old.serverClockOfMicFrame(sung) + FRAME);

  // Reads more than a frame away (the singer moved): a new start, nothing taken over.
  const moved = again(1e9 + now - 500 + 3 * R);
  assert.equal(moved.continueFrom(old), null);
  assert.equal(moved.playStart, null);
  assert.equal(moved.schedule(due + 2000, BATCH), due + 2000 + LEAD_IN, 'a new start waits out the lead-in');
});

test('the back-off after a failure waits between half of it and all of it', () => {
  assert.equal(failureWaitMs(1000, () => 0), 500);
  assert.equal(failureWaitMs(4000, () => 0.5), 3000);
  assert.ok(failureWaitMs(1000, () => 0.999999) < 1000);
});

test('what a singer sings lands where they heard it (latency and both codec delays compensated)', () => {
  const latency = 7200;
  const c = new ConnectionClock({ serverNow: 7e8, offsetSeconds: 3, sendFrame: 0, latencySamples: latency });
  c.schedule(48000, BATCH);
  for (const p of [c.playStart, c.playStart + 12345, c.playStart + 10 * BATCH]) {
    // Played at local frame p: the decoded sample p − playStart, which the server had at
    // streamOrigin + (p − playStart) − CODEC_DELAY.
    const heard = c.streamOrigin + (p - c.playStart) - CODEC_DELAY;
    // Sung back at once, captured latency later, written into the upload stream; the server's
    // decoder delays it by CODEC_DELAY.
    const landed = c.serverClockOfMicFrame(p + latency) + CODEC_DELAY;
    assert.equal(landed, heard);
  }
  assert.equal(c.playingClock(c.playStart + 100), c.streamOrigin + 100);
  assert.equal(new ConnectionClock({ serverNow: 7e8, offsetSeconds: 3, sendFrame: 0, latencySamples: 0 }).playingClock(5), null);
});

test('the room model takes metadata, the song state and a requested move', () => {
  const room = new RoomModel('42');
  const users = [
    { id: '42', name: 'Al', micVolume: 1, rms: 0.1, delaySeconds: 3, muted: false, soloed: false },
    { id: '7', name: 'Bea', micVolume: 1, rms: 0.1, delaySeconds: 6, muted: false, soloed: false },
  ];
  assert.equal(room.apply({ bpm: 120, leader: 42, song_start_clock: 0, first_bucket: 3 }, users, 1000), null);
  assert.equal(room.bpm, 120);
  assert.equal(room.isLeader, true);
  assert.equal(room.songState, 'none');
  assert.deepEqual(room.users.map((u) => u.bucket), [0, 1]);
  assert.equal(room.myDelaySeconds(), 3);
  room.apply({ song_start_clock: 1234567, delay_seconds: 6 }, null, 2000);
  assert.equal(room.songState, 'singing');
  assert.equal(room.isLeader, false, 'no leader in this reply');
  assert.equal(room.users.length, 2, 'an unchanged summary keeps the listing');
  assert.equal(room.apply({ song_start_clock: 1234567, song_end_clock: 2000000, delay_seconds: 9 }, null, 3000), 9);
  assert.equal(room.songState, 'ended');
  room.apply({ song_start_clock: 1 }, null, 4000);
  assert.equal(room.songState, 'none', 'a halted song (start clock 1) is no song');
});

test('the outbox is taken once; undelivered chat lines go out again', () => {
  const room = new RoomModel('1');
  room.flag('request_lead');
  room.sendChat('Al', 'hi');
  room.setMicVolume('7', 0.5);
  room.provideLyrics('la la');
  const out = room.takeOutbox();
  assert.deepEqual(out.params, { request_lead: '1' });
  assert.deepEqual(out.chats, ['hi']);
  assert.deepEqual(out.micVolumes, [['7', 0.5]]);
  assert.deepEqual(out.json, { lyrics: 'la la' });
  assert.deepEqual(room.takeOutbox().chats, []);
  room.sendChat('Al', 'second');
  room.returnChats(out.chats);
  assert.deepEqual(room.takeOutbox().chats, ['hi', 'second']);
  assert.equal(room.chats.length, 2, 'own lines are shown once');
});

test('a refusal drops the controls that need the token and says where it came from', () => {
  const room = new RoomModel('1');
  room.apply({ leader: '1' }, [], 0);
  room.setParams({ volume: 0.5, mark_stop_singing: '1', monitor: '7' });
  room.setMicVolume('1', 0.8);
  room.setMicVolume('7', 0.2);
  const { outbox, refusal } = room.refuse(room.takeOutbox());
  assert.deepEqual(refusal.keys.sort(), ['mic_volume', 'monitor', 'volume']);
  assert.equal(refusal.area, 'console');
  assert.deepEqual(outbox.params, { mark_stop_singing: '1' }, 'the leader may always stop its own song');
  assert.deepEqual(outbox.micVolumes, [['1', 0.8]], 'its own level stays');
  room.startSong('track.wav');
  assert.equal(room.refuse(room.takeOutbox()).refusal.area, 'song');
});

test('confirmations list what the server applied', () => {
  const room = new RoomModel('1');
  const applied = room.confirm({ volume: '0.5', disableAutoGain: '1', mark_stop_singing: '1' }, { globalVolume: 0.52, song_start_clock: 1 });
  assert.deepEqual(applied, [
    { key: 'volume', value: 0.52 },
    { key: 'disableAutoGain', value: 'off' },
    { key: 'halted', value: '' },
  ]);
  assert.equal(noticeText({ kind: 'ok', applied }), 'The server applied: global volume 0.52, automatic gain off, song halted.');
});

test('the full summary is asked for again at the level meters’ cadence', () => {
  const room = new RoomModel('1');
  assert.equal(room.summaryVersionToSend(0), null);
  room.apply({ user_summary_version: 5 }, [], 1000);
  assert.equal(room.summaryVersionToSend(1100), 5);
  assert.equal(room.summaryVersionToSend(2100), 5, 'two exchanges before the first refresh');
  assert.equal(room.summaryVersionToSend(2200), null, 'after 1.2 s the levels are refreshed');
});

test('a page that joined a filling room waits for the full listing\'s size before asking again', () => {
  const room = new RoomModel('1');
  const users = [{ id: '1', name: 'Al', micVolume: 1, rms: 0.1, delaySeconds: 3, muted: false, soloed: false }];
  room.apply({ user_summary_version: 5, n_connected_users: 1 }, users, 1000);
  assert.equal(room.summaryVersionToSend(2200), null, 'one singer listed: the levels after 1.2 s');
  room.apply({ user_summary_version: 5, n_connected_users: 1000 }, null, 1800);
  // 1,000 singers × 51 B at 2,000 B/s: 25.5 s after the summary the page holds.
  assert.equal(room.summaryVersionToSend(26_400), 5);
  assert.equal(room.summaryVersionToSend(26_500), null);
});

test('a summary the server holds back keeps the listing and the version the page holds', () => {
  // The server's budget for a changed listing answers as for an unchanged one: an empty block
  // (parsed as null), "user_summary_unchanged" and the version the page sent.
  const room = new RoomModel('1');
  const users = [{ id: '1', name: 'Al', micVolume: 1, rms: 0.1, delaySeconds: 3, muted: false, soloed: false }];
  room.apply({ user_summary_version: 5 }, users, 1000);
  room.apply({ user_summary_version: 5, user_summary_unchanged: true }, null, 1300);
  assert.deepEqual(room.users.map((u) => u.name), ['Al']);
  assert.equal(room.summaryVersionToSend(1400), 5, 'the page asks again with its version');
});

test('pushed summaries and chat lines (WebSocket) update the room as replies do', () => {
  const room = new RoomModel('42');
  room.apply({ first_bucket: 3 }, [], 1000);
  const summary = { push: 'summary', user_summary_version: 8, users: [['42', 'Al', 1, 0.25, 3, 0], ['18446744073709551615', 'Bea', 1.5, 0, 6, 3]] };
  assert.equal(room.applyPush(summary, 2000), true);
  assert.deepEqual(room.users.map((u) => [u.id, u.name, u.bucket, u.muted, u.soloed]), [['42', 'Al', 0, false, false], ['18446744073709551615', 'Bea', 1, true, true]]);
  assert.equal(room.users[1].micVolume, 1.5);
  assert.equal(room.myDelaySeconds(), 3);
  assert.equal(room.summaryVersion, 8);
  // A reply that did not ask for the summary (users null) keeps the pushed listing.
  room.apply({ first_bucket: 3 }, null, 2500);
  assert.equal(room.users.length, 2);
  assert.equal(room.applyPush({ push: 'chats', chats: [['Bea', 'hi'], ['Bea', 'again']] }, 3000), true);
  assert.deepEqual(room.chats.map((c) => [c.name, c.text, c.own]), [['Bea', 'hi', false], ['Bea', 'again', false]]);
  assert.equal(room.applyPush({ push: 'future kind' }, 4000), false, 'unknown pushes are ignored');
});

test('the UI words the session’s states and refusals', () => {
  const offline = statusText({ state: 'offline', problem: new SessionError('unreachable', 'timeout'), retryInS: 3 });
  assert.match(offline, /^Cannot reach the server \(no answer in time\)\. .*Retrying in 3 s…$/);
  const ended = statusText({ state: 'error', problem: new SessionError('server', 'room is full.'), retryInS: 2 });
  assert.equal(ended, 'The server ended the connection: room is full. Retrying in 2 s…');
  assert.equal(statusText({ state: 'moving', movingTo: 1 }), 'Moving you to bucket 2…');
  assert.equal(statusText({ state: 'connected' }), '');
  assert.equal(problemText(new SessionError('wrong-interval')), 'The server answered for a different stretch of audio.');
  const refused = noticeText({ kind: 'refused', area: 'console', keys: ['volume'], serverMessage: 'needs the admin token.', withToken: false });
  assert.equal(refused, 'The server refused global volume: needs the admin token. Ask the operator for the admin token and enter it below.');
  assert.match(uploadProblemText('a.wav', new TransportError('network')), /Could not reach the server/);
  assert.equal(uploadProblemText('a.wav', new TransportError('http', { status: 413, message: 'too large' })), 'The server did not accept “a.wav”: too large.');
});

test('transport failures become session problems', () => {
  assert.equal(SessionError.from(new TransportError('timeout')).code, 'unreachable');
  assert.equal(SessionError.from(new TransportError('timeout')).network, true);
  assert.equal(SessionError.from(new TransportError('malformed')).code, 'no-clock');
  const http = SessionError.from(new TransportError('http', { status: 503, message: 'draining' }));
  assert.deepEqual([http.code, http.detail, http.network], ['server', 'draining', false]);
});

test('observers: emitting to nobody is a no-op; added ones hear until removed', () => {
  const o = new Observers();
  o.emit(1, 2);
  const heard = [];
  const off = o.add((a, b) => heard.push([a, b]));
  o.emit(3, 4);
  off();
  o.emit(5, 6);
  assert.deepEqual(heard, [[3, 4]]);
});
