// The page's WebSocket transport (web/ws-transport.js) in plain node: the message framing, and
// when it settles on HTTP, with a scripted WebSocket and a scripted HTTP transport.
import test from 'node:test';
import assert from 'node:assert/strict';
import { encodeRequest, decodeReply, WsTransport, MAX_DROPS } from '../../web/ws-transport.js';

/** A WebSocket whose fate the test decides: opens (or fails) on the next tick, echoes replies. */
class FakeSocket {
  static OPEN = 1;
  static script = { open: true, reply: null };
  static sockets = [];
  constructor(url) {
    this.url = url;
    this.readyState = 0;
    this.sent = [];
    FakeSocket.sockets.push(this);
    setTimeout(() => {
      if (FakeSocket.script.open) {
        this.readyState = FakeSocket.OPEN;
        this.onopen?.();
      } else {
        this.onclose?.();
      }
    }, 0);
  }
  send(bytes) {
    this.sent.push(bytes);
    const reply = FakeSocket.script.reply;
    if (reply) setTimeout(() => this.onmessage?.({ data: reply(bytes) }), 0);
  }
  close() {
    if (this.readyState === 3) return;
    this.readyState = 3;
    setTimeout(() => this.onclose?.(), 0);
  }
}
globalThis.WebSocket = FakeSocket;

function replyMessage(status, meta, body = new Uint8Array(0)) {
  const m = new TextEncoder().encode(meta);
  const out = new Uint8Array(6 + m.length + body.length);
  const v = new DataView(out.buffer);
  v.setUint16(0, status);
  v.setUint32(2, m.length);
  out.set(m, 6);
  out.set(body, 6 + m.length);
  return out.buffer;
}

function fakeHttp({ reachable }) {
  const calls = [];
  return {
    calls,
    async clock() {
      calls.push('clock');
      if (!reachable) throw Object.assign(new Error('network'), { kind: 'network' });
      return { serverClock: 1, sampleRate: 48000, rttMs: 1 };
    },
    async exchange(query) {
      calls.push(query);
      return { status: 200, metadataHeader: '{}', bytes: new Uint8Array(0) };
    },
  };
}

test('request and reply framing', () => {
  const m = encodeRequest('userid=1&x=é', new Uint8Array([7, 8]));
  assert.equal(new DataView(m.buffer).getUint32(0), 13);
  assert.equal(new TextDecoder().decode(m.subarray(4, 17)), 'userid=1&x=é');
  assert.deepEqual([...m.subarray(17)], [7, 8]);
  assert.equal(encodeRequest('', null).length, 4);
  const r = decodeReply(replyMessage(409, '{"kill_client": true}', new Uint8Array([1, 2, 3])));
  assert.equal(r.status, 409);
  assert.equal(r.metadataHeader, '{"kill_client": true}');
  assert.deepEqual([...r.bytes], [1, 2, 3]);
  assert.throws(() => decodeReply(new Uint8Array([0, 200, 0, 0, 0, 9, 1]).buffer));
  assert.throws(() => decodeReply(new Uint8Array([0, 200]).buffer));
});

test('the clock and exchanges go over the socket; errors keep the server message', async () => {
  FakeSocket.script = {
    open: true,
    reply: (bytes) => {
      const q = new TextDecoder().decode(bytes.subarray(4, 4 + new DataView(bytes.buffer).getUint32(0)));
      if (q === '') return replyMessage(200, '{"server_clock": 96000, "server_sample_rate": 48000}');
      if (q.includes('bad')) return replyMessage(400, '{"kill_client": true, "message": "nope"}');
      return replyMessage(200, '{"metadata_len": 0}', new Uint8Array([9]));
    },
  };
  const t = new WsTransport('http://h/api');
  t.http = fakeHttp({ reachable: true });
  assert.equal(t.kind, 'ws');
  const c = await t.clock();
  assert.equal(c.serverClock, 96000);
  assert.equal(c.sampleRate, 48000);
  const ok = await t.exchange('userid=1', new Uint8Array([1]));
  assert.equal(ok.status, 200);
  assert.deepEqual([...ok.bytes], [9]);
  const bad = await t.exchange('bad=1', null);
  assert.equal(bad.status, 400);
  assert.equal(bad.message, 'nope');
  assert.deepEqual(t.http.calls, [], 'nothing went over HTTP');
  assert.equal(FakeSocket.sockets.at(-1).url, 'ws://h/api/ws?push=1', 'the socket asks for pushes');
  t.close();
});

test('a failed upgrade with HTTP reachable settles on HTTP; with the server down it does not', async () => {
  FakeSocket.script = { open: false, reply: null };
  const down = new WsTransport('http://h/api');
  down.http = fakeHttp({ reachable: false });
  await assert.rejects(down.clock());
  assert.equal(down.kind, 'ws', 'a server that is down says nothing about WebSockets');
  const blocked = new WsTransport('http://h/api');
  blocked.http = fakeHttp({ reachable: true });
  const c = await blocked.clock();
  assert.equal(c.serverClock, 1, 'answered over HTTP');
  assert.equal(blocked.kind, 'http');
  assert.match(blocked.why, /upgrade failed/);
  await blocked.exchange('userid=1', null);
  assert.deepEqual(blocked.http.calls, ['clock', 'userid=1']);
});

test(`${MAX_DROPS} drops in a row settle on HTTP`, async () => {
  FakeSocket.script = { open: true, reply: null }; // opens, never answers
  const t = new WsTransport('http://h/api');
  t.http = fakeHttp({ reachable: true });
  for (let i = 0; i < MAX_DROPS; i++) {
    const pending = t.exchange('userid=1', null);
    await new Promise((r) => setTimeout(r, 5));
    FakeSocket.sockets.at(-1).close(); // the connection drops under the request
    await assert.rejects(pending, (err) => err.network === true);
  }
  assert.equal(t.kind, 'http');
  assert.match(t.why, /dropped 3 times/);
});

test('text messages are pushes: handed to onPush, replies unaffected; pushes only on the socket', async () => {
  FakeSocket.script = { open: true, reply: () => replyMessage(200, '{"metadata_len": 0}') };
  const t = new WsTransport('http://h/api');
  t.http = fakeHttp({ reachable: true });
  const pushes = [];
  t.onPush = (p) => pushes.push(p);
  assert.equal(t.pushes, true);
  const pending = t.exchange('userid=1', null);
  await new Promise((r) => setTimeout(r, 1));
  const socket = FakeSocket.sockets.at(-1);
  socket.onmessage({ data: '{"push": "chats", "chats": [["Bea", "hi"]]}' });
  socket.onmessage({ data: 'not json' });
  socket.onmessage({ data: '{"no": "push key"}' });
  const r = await pending;
  assert.equal(r.status, 200, 'the reply still answers its request');
  assert.deepEqual(pushes, [{ push: 'chats', chats: [['Bea', 'hi']] }]);
  t.close();
  assert.equal(new WsTransport('http://h/api', { mode: 'http' }).pushes, false, 'over HTTP the page asks for the summary');
});

test('?transport=http mode never opens a socket', async () => {
  const before = FakeSocket.sockets.length;
  const t = new WsTransport('http://h/api', { mode: 'http' });
  t.http = fakeHttp({ reachable: true });
  await t.exchange('userid=2', null);
  assert.equal(t.kind, 'http');
  assert.equal(FakeSocket.sockets.length, before);
});
