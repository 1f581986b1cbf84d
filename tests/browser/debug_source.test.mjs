// Where the operators' chart gets its states (web/debug-source.js), in plain node with a
// scripted WebSocket and a scripted fetch: the stream by default; polling when the upgrade
// fails while HTTP answers (even with a refusal), never while the server is down; polling after
// MAX_DROPS drops of an open stream (a silent one counts); the status kept while paused.
import test from 'node:test';
import assert from 'node:assert/strict';
import { DebugSource, MAX_DROPS } from '../../web/debug-source.js';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Each test has its own room (its URLs are /r/NAME/…) and script: `fate` of the next socket
 * ('open', 'fail' or 'throw'), `answer` of fetch ('ok', a status, or 'down': a network error),
 * and what happened (`sockets`, `calls`). A finished test's room is dead: sockets cannot be
 * made and polls never answer, so its source goes quiet and node can exit.
 */
const rooms = new Map();
const roomOf = (url) => rooms.get(url.match(/\/r\/([^/]+)\//)[1]);

class FakeSocket {
  constructor(url) {
    const room = roomOf(url);
    if (room.dead || room.fate === 'throw') throw new Error('refused');
    this.url = url;
    this.closed = false;
    room.sockets.push(this);
    const fate = room.fate;
    setTimeout(() => {
      if (fate === 'open') this.onopen?.({ target: this });
      else this.close();
    }, 0);
  }
  /** The server pushes a state. */
  push(json) {
    this.onmessage?.({ target: this, data: JSON.stringify(json) });
  }
  close() {
    if (this.closed) return;
    this.closed = true;
    setTimeout(() => this.onclose?.({ target: this }), 0);
  }
}
globalThis.WebSocket = FakeSocket;

globalThis.fetch = async (url, opts) => {
  const room = roomOf(url);
  room.calls.push({ url, headers: opts.headers });
  if (room.dead) return new Promise(() => {});
  if (room.answer === 'down') throw new TypeError('Failed to fetch');
  const status = room.answer === 'ok' ? 200 : room.answer;
  return { ok: status === 200, status, json: async () => ({ server_clock: room.calls.length }) };
};

/** A source in a new room, with recorded states and statuses. */
function makeSource(name, { fate = 'open', answer = 'ok', mode = 'stream' } = {}) {
  const room = { fate, answer, sockets: [], calls: [], dead: false };
  rooms.set(name, room);
  const seen = { states: [], statuses: [] };
  const source = new DebugSource({
    stateUrl: `http://127.0.0.1:8080/r/${name}/api/debug/state`,
    streamUrl: `http://127.0.0.1:8080/r/${name}/api/debug/stream`,
    token: 'op en',
    mode,
    onState: (json) => seen.states.push(json),
    onStatus: (cls, text) => seen.statuses.push(`${cls}: ${text}`),
  });
  const end = () => {
    room.dead = true;
    for (const s of room.sockets) s.close();
  };
  return { source, seen, room, sockets: room.sockets, http: room, end };
}

test('the stream by default: its states go to onState, nothing is polled', async () => {
  const { source, seen, sockets, http, end } = makeSource('a');
  source.start();
  await sleep(5);
  assert.equal(sockets.length, 1);
  assert.equal(sockets[0].url, 'ws://127.0.0.1:8080/r/a/api/debug/stream?compact=1&delta=1&token=op%20en');
  sockets[0].push({ server_clock: 1 });
  sockets[0].push({ server_clock: 2 });
  assert.deepEqual(seen.states, [{ server_clock: 1 }, { server_clock: 2 }]);
  assert.deepEqual(seen.statuses, ['connected: Live · up to 10 Hz'], 'the status is set once, not per state');
  assert.equal(source.kind, 'stream');
  // Paused: the stream's states are still handed on (deltas build on each other; the page keeps
  // its view) but the status stays "Paused"; resumed, it says live again.
  source.pause(true);
  sockets[0].push({ server_clock: 3 });
  source.pause(false);
  sockets[0].push({ server_clock: 4 });
  assert.deepEqual(seen.states.map((x) => x.server_clock), [1, 2, 3, 4]);
  assert.deepEqual(seen.statuses.slice(1), ['connecting: Paused', 'connected: Live · up to 10 Hz']);
  assert.equal(http.calls.length, 0, 'nothing polled');
  end();
});

test('the upgrade fails while HTTP answers: polling, with the token as a header', async () => {
  const { source, seen, sockets, http, end } = makeSource('b', { fate: 'fail' });
  source.start();
  await sleep(450);
  assert.equal(source.kind, 'poll');
  assert.equal(source.why, 'the stream could not open');
  assert.equal(sockets.length, 1, 'the stream is not tried again');
  assert.ok(seen.states.length >= 2, `polled states are handed on (${seen.states.length})`);
  assert.equal(http.calls[0].url, 'http://127.0.0.1:8080/r/b/api/debug/state?compact=1');
  assert.deepEqual(http.calls[0].headers, { 'X-Operator-Token': 'op en' });
  assert.ok(seen.statuses.includes('connected: Live · 5 Hz'));
  end();
});

test('the upgrade fails and HTTP refuses (401): polling reports the refusal', async () => {
  const { source, seen, end } = makeSource('c', { fate: 'fail', answer: 401 });
  source.start();
  await sleep(50);
  assert.equal(source.kind, 'poll');
  assert.equal(seen.states.length, 0);
  assert.match(seen.statuses.at(-1), /^error: .*HTTP 401: this server is private; open debug\.html\?token=OPERATOR_TOKEN/);
  end();
});

test('the server is down: the stream is retried, never given up for polling', async () => {
  const { source, seen, sockets, room, end } = makeSource('d', { fate: 'fail', answer: 'down' });
  source.start();
  await sleep(1300);
  assert.equal(source.kind, 'stream');
  assert.equal(sockets.length, 2, 'retried after a second');
  assert.match(seen.statuses.at(-1), /^error: Server unreachable/);
  room.fate = 'open'; // the server is back
  room.answer = 'ok';
  await sleep(1100);
  assert.equal(sockets.length, 3);
  sockets[2].push({ server_clock: 9 });
  assert.equal(source.kind, 'stream');
  assert.deepEqual(seen.states, [{ server_clock: 9 }]);
  end();
});

test(`${MAX_DROPS} drops of an open stream: polling`, async () => {
  const { source, sockets, http, end } = makeSource('e');
  source.start();
  for (let i = 0; i < MAX_DROPS; i++) {
    await sleep(i === 0 ? 5 : 1100);
    assert.equal(sockets.length, i + 1);
    assert.equal(source.kind, 'stream');
    sockets[i].push({ server_clock: i });
    sockets[i].close();
  }
  await sleep(20);
  assert.equal(source.kind, 'poll');
  assert.equal(source.why, `the stream dropped ${MAX_DROPS} times`);
  assert.ok(http.calls.length >= 1, 'it polls');
  await sleep(1100);
  assert.equal(sockets.length, MAX_DROPS, 'and does not reopen the stream');
  end();
});

test('?source=poll, or a WebSocket the browser refuses to make: polling', async () => {
  const forced = makeSource('f', { mode: 'poll' });
  forced.source.start();
  const refused = makeSource('g', { fate: 'throw' });
  refused.source.start();
  await sleep(50);
  assert.equal(forced.sockets.length + refused.sockets.length, 0);
  assert.equal(forced.source.why, 'chosen in the address');
  assert.equal(refused.source.why, 'the stream could not open');
  assert.ok(forced.seen.states.length >= 1 && refused.seen.states.length >= 1);
  forced.end();
  refused.end();
});

test('an open stream silent for 5 s is closed and reopened (a drop)', async () => {
  const { source, sockets, seen, end } = makeSource('h');
  source.start();
  await sleep(5);
  sockets[0].push({ server_clock: 1 });
  await sleep(4000);
  assert.equal(sockets[0].closed, false, 'not before 5 s');
  await sleep(3200); // the check runs every second; the reopening a second later
  assert.equal(sockets[0].closed, true, 'closed after 5 s without a state');
  assert.equal(sockets.length, 2, 'and reopened');
  assert.equal(source.kind, 'stream');
  assert.ok(seen.statuses.includes('connecting: Stream dropped; reopening'));
  end();
});
