// Unit tests of web/protocol.js (the singer page's wire format), run in node without a browser.

import test from 'node:test';
import assert from 'node:assert/strict';
import {
  bucketOf,
  encodeContainer,
  decodeContainer,
  decodeUserSummary,
  parseAudioReply,
  errorMessageOf,
  audioQuery,
  exchangeBody,
  firstReadClock,
  roundsSeconds,
} from '../../web/protocol.js';
import { toneAmplitude } from './audio-probe.mjs';

test('bucketOf rounds (delay - first_bucket) / 3 and clamps to 0..5', () => {
  assert.equal(bucketOf(3, 3), 0);
  assert.equal(bucketOf(6, 3), 1);
  assert.equal(bucketOf(18, 3), 5);
  assert.equal(bucketOf(40, 3), 5);
  assert.equal(bucketOf(0, 3), 0);
  assert.equal(bucketOf(10, 3), 2);
});

test('container round-trips and rejects truncation', () => {
  const a = new Uint8Array([1, 2, 3]);
  const b = new Uint8Array(300).fill(7);
  const bytes = encodeContainer([a, b]);
  assert.equal(bytes[0], 2);
  assert.deepEqual([bytes[1], bytes[2]], [0, 3]);
  assert.deepEqual([bytes[6], bytes[7]], [1, 44]);
  const back = decodeContainer(bytes);
  assert.deepEqual(Array.from(back[0]), [1, 2, 3]);
  assert.equal(back[1].length, 300);
  assert.throws(() => decodeContainer(bytes.subarray(0, bytes.length - 1)), /truncated/);
  assert.deepEqual(decodeContainer(new Uint8Array(0)), []);
});

function summaryRecord(id, name, { mic = 1, rms = 0.25, delay = 6, flags = 0 } = {}) {
  const rec = new Uint8Array(51);
  const v = new DataView(rec.buffer);
  v.setBigUint64(0, BigInt(id));
  rec.set(new TextEncoder().encode(name).subarray(0, 32), 8);
  v.setFloat32(40, mic);
  v.setFloat32(44, rms);
  v.setUint16(48, delay);
  rec[50] = flags;
  return rec;
}

test('user summary records decode big-endian fields and flags', () => {
  const block = new Uint8Array(2 + 2 * 51);
  block[1] = 2;
  block.set(summaryRecord('81234567890', 'Ann Lee', { delay: 3, flags: 1 }), 2);
  block.set(summaryRecord(7, 'Bob', { delay: 6, flags: 2, rms: 0.5 }), 53);
  const { users, end } = decodeUserSummary(block, 0);
  assert.equal(end, block.length);
  assert.equal(users[0].id, '81234567890');
  assert.equal(users[0].name, 'Ann Lee');
  assert.equal(users[0].delaySeconds, 3);
  assert.equal(users[0].muted, true);
  assert.equal(users[0].soloed, false);
  assert.equal(users[1].soloed, true);
  assert.equal(users[1].rms, 0.5);
});

test('parseAudioReply splits metadata, summary and audio', () => {
  const meta = new TextEncoder().encode(JSON.stringify({ client_read_clock: 100, n_samples: 2880, chats: [['Ann', 'hé']] }));
  const summary = new Uint8Array([0, 1, ...summaryRecord(5, 'Zoë')]);
  const audio = encodeContainer([new Uint8Array([9, 9])]);
  const body = new Uint8Array([...meta, ...summary, ...audio]);
  const r = parseAudioReply(JSON.stringify({ metadata_len: meta.length }), body);
  assert.equal(r.metadata.client_read_clock, 100);
  assert.deepEqual(r.metadata.chats, [['Ann', 'hé']]);
  assert.equal(r.users[0].name, 'Zoë');
  assert.equal(r.packets.length, 1);
  assert.throws(() => parseAudioReply(JSON.stringify({ metadata_len: 9999 }), body), /metadata_len/);
});

test('errorMessageOf prefers the kill_client message', () => {
  assert.equal(errorMessageOf(400, '{"kill_client":true,"message":"read clock desync"}', ''), 'read clock desync');
  assert.equal(errorMessageOf(502, null, 'Bad Gateway'), 'HTTP 502: Bad Gateway');
  assert.equal(errorMessageOf(500, 'garbage', '<html>'), 'HTTP 500');
});

test('audioQuery carries the documented parameters', () => {
  const q = new URLSearchParams(
    audioQuery({
      userid: '42',
      readClock: 1000,
      writeClock: null,
      nSamples: 28800,
      username: 'Ann Lee',
      reset: true,
      spectator: false,
      muted: false,
      flags: { request_lead: true, mark_start_singing: false },
      chats: ['hi'],
    }),
  );
  assert.equal(q.get('userid'), '42');
  assert.equal(q.get('read_clock'), '1000');
  assert.equal(q.has('write_clock'), false);
  assert.equal(q.get('n_samples'), '28800');
  assert.equal(q.get('username'), 'Ann Lee');
  assert.equal(q.get('user_summary'), '1');
  assert.equal(q.get('reset_user_state'), 'true');
  assert.equal(q.get('request_lead'), '1');
  assert.equal(q.has('mark_start_singing'), false);
  assert.equal(q.has('spectator'), false);
  assert.equal(q.get('chat'), '["hi"]');
});

test('a query for a pushing WebSocket leaves the summary out', () => {
  const q = new URLSearchParams(audioQuery({ userid: '42', readClock: 1000, writeClock: null, nSamples: 28800, summary: false, summaryVersion: 5 }));
  assert.equal(q.has('user_summary'), false);
  assert.equal(q.has('user_summary_version'), false);
});

test('audioQuery carries console parameters, mic volumes, json_len and the admin token', () => {
  const q = new URLSearchParams(
    audioQuery({
      userid: '42',
      readClock: 2880,
      writeClock: 0,
      nSamples: 2880,
      params: { volume: '1.25', track: 'My song', monitor: '7', empty: '' },
      micVolumes: [['7', 1.5]],
      jsonLen: 19,
      adminToken: 't o+k',
    }),
  );
  assert.equal(q.get('volume'), '1.25');
  assert.equal(q.get('track'), 'My song');
  assert.equal(q.get('monitor'), '7');
  assert.equal(q.has('empty'), false, 'empty values are left out (the server drops them)');
  assert.equal(q.get('mic_volume'), '[["7",1.5]]');
  assert.equal(q.get('json_len'), '19');
  assert.equal(q.get('admin_token'), 't o+k');
  assert.equal(q.get('write_clock'), '0');
});

test('audioQuery echoes the session token, and asks for one with "new"', () => {
  const base = { userid: '42', readClock: 2880, writeClock: null, nSamples: 2880 };
  assert.equal(new URLSearchParams(audioQuery({ ...base, reset: true, sessionToken: 'new' })).get('session_token'), 'new');
  const token = '0123456789abcdef0123456789abcdef';
  assert.equal(new URLSearchParams(audioQuery({ ...base, sessionToken: token })).get('session_token'), token);
  assert.equal(new URLSearchParams(audioQuery(base)).has('session_token'), false);
});

test('exchangeBody puts the UTF-8 JSON prefix before the audio container', () => {
  const { body, jsonLen } = exchangeBody({ lyrics: 'é' }, [new Uint8Array([5])]);
  assert.equal(jsonLen, new TextEncoder().encode('{"lyrics":"é"}').length);
  assert.equal(new TextDecoder().decode(body.subarray(0, jsonLen)), '{"lyrics":"é"}');
  assert.deepEqual(Array.from(body.subarray(jsonLen)), [1, 0, 1, 5]);
  assert.equal(exchangeBody(null, []).body.length, 0);
});

test('firstReadClock lands on the 60 ms grid, at or before the offset target', () => {
  for (const now of [81600000028800, 81600000028801, 81600000031679, 1000000007]) {
    for (const offset of [3, 6, 18]) {
      const r = firstReadClock(now, offset);
      const target = now - offset * 48000;
      assert.equal(r % 2880, 0);
      assert.ok(r <= target && target - r < 2880, `${r} vs ${target}`);
    }
  }
});

test('roundsSeconds follows the server (60 / bpm × bpr × repeats, capped at 90)', () => {
  assert.equal(roundsSeconds(120, 4, 8), 16);
  assert.equal(roundsSeconds(120, 0, 8), 0);
  assert.equal(roundsSeconds(0, 4, 8), 0);
  assert.equal(roundsSeconds(60, 20, 500), 90);
});

test('toneAmplitude finds the amplitude of a sine and ignores other tones', () => {
  const n = 48000;
  const s = new Float32Array(n);
  for (let i = 0; i < n; i++) s[i] = 0.3 * Math.sin((2 * Math.PI * 440 * i) / 48000);
  assert.ok(Math.abs(toneAmplitude(s, 440) - 0.3) < 0.01);
  assert.ok(toneAmplitude(s, 660) < 0.005);
});
