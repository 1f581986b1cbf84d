// The load tester's page profile is the page, request for request: a real page session in
// Chromium and one brigade-loadtest singer (--profile page) against the same server, both
// recorded, must agree on the parameters of each kind of exchange, n_samples, how many
// read-only exchanges start a connection, exchanges per second (within 10 %) and upload body
// sizes (within 25 %). Both use the page's default transport, the WebSocket with pushes
// (?push=1): neither asks for the user summary in its exchanges, and both receive pushes. When
// the page changes what it sends, this fails until bench/loadtest (profile.cpp, singer.cpp)
// follows.

import test from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { missingPrerequisite, loadPlaywright, writeSineWav, tmpDir, startServer, launchSinger, joinChain, stats, waitFor } from './harness.mjs';
import { recordApi, parseTrace, tracePushes, connectionsOf, clockProblems, exchangeRate, keySet, mean } from './traffic.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const LOADTEST = process.env.BRIGADE_LOADTEST || path.resolve(here, '../../build/release/bench/brigade-loadtest');
const missing = missingPrerequisite() || (fs.existsSync(LOADTEST) ? null : `${LOADTEST} is missing`);
if (missing) console.log(`BRIGADE-SKIP: browser tests skipped: ${missing}`);

const SECONDS = 20;
const LATENCY_MS = 120;

function runLoadtest(args) {
  return new Promise((resolve, reject) => {
    const proc = spawn(LOADTEST, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    proc.stdout.on('data', (c) => (out += c));
    proc.stderr.on('data', (c) => (out += c));
    proc.on('error', reject);
    proc.on('exit', (code) => resolve({ code, out }));
  });
}

/** What one client's single connection looks like, for comparison. */
function shape(conn) {
  const ex = conn.exchanges;
  const firstWrite = ex.findIndex((e) => e.writeClock !== null);
  const readOnly = ex.slice(1, firstWrite);
  const writing = ex.slice(firstWrite);
  return {
    getFirst: conn.getAt !== null,
    firstKeys: keySet([ex[0]]),
    readOnlyKeys: keySet(readOnly),
    writingKeys: keySet(writing),
    nSamples: [...new Set(ex.map((e) => e.nSamples))],
    readOnlyExchanges: firstWrite,
    rate: exchangeRate(conn),
    uploadBytes: mean(writing.map((e) => e.bodyBytes)),
    firstWriteLag: ex[firstWrite].readClock - ex[firstWrite].writeClock,
    clockProblems: clockProblems(conn),
  };
}

test('brigade-loadtest --profile page sends what the page sends', { skip: missing || false, timeout: 150000 }, async () => {
  const chromium = await loadPlaywright();
  const dir = tmpDir('fidelity');
  const server = await startServer();
  let singer = null;
  try {
    singer = await launchSinger(chromium, { wav: writeSineWav(path.join(dir, 'page.wav'), 440, { seconds: 40 }), url: server.url });
    const log = recordApi(singer.page);
    await joinChain(singer.page, { name: 'Page', latencyMs: LATENCY_MS });
    const trace = path.join(dir, 'loadtest.jsonl');
    const testerRun = runLoadtest([
      '--url', `${server.url}api`, '--profile', 'page', '--transport', 'ws', '--singers', '1', '--no-song',
      '--duration', String(SECONDS), '--latency-ms', String(LATENCY_MS), '--trace', trace,
    ]);
    await new Promise((r) => setTimeout(r, SECONDS * 1000));
    const run = await testerRun;
    console.log(run.out);
    assert.equal(run.code, 0, 'the load tester passed');
    const st = await stats(singer.page);
    assert.equal(st.errors, 0, `page exchange errors: ${st.lastError}`);

    const pageConns = connectionsOf(log);
    const traceText = fs.readFileSync(trace, 'utf8');
    const testerConns = connectionsOf(parseTrace(traceText));
    assert.equal(pageConns.length, 1, 'the page kept one connection');
    assert.equal(testerConns.length, 1, 'the load tester kept one connection');
    const page = shape(pageConns[0]);
    const tester = shape(testerConns[0]);
    console.log(`page:   ${JSON.stringify(page)}\ntester: ${JSON.stringify(tester)}`);

    // The page's transport: its WebSocket asks for pushes and gets them; so does the tester's.
    assert.equal(log.http, 0, 'the page exchanged over its WebSocket');
    assert.ok(log.wsUrls.length >= 1 && log.wsUrls.every((u) => new URL(u).searchParams.get('push') === '1'), 'the page asks for pushes');
    assert.ok(log.pushes.length > 0, 'the page received pushes');
    assert.ok(tracePushes(traceText).length > 0, 'the load tester received pushes');
    assert.ok(!page.writingKeys.includes('user_summary'), 'the page leaves the summary to the pushes');
    assert.deepEqual(page.clockProblems, []);
    assert.deepEqual(tester.clockProblems, []);
    assert.equal(tester.getFirst, page.getFirst, 'a clock GET starts the connection');
    assert.deepEqual(tester.firstKeys, page.firstKeys, 'parameters of the first exchange');
    assert.deepEqual(tester.readOnlyKeys, page.readOnlyKeys, 'parameters of the read-only exchanges');
    assert.deepEqual(tester.writingKeys, page.writingKeys, 'parameters of the uploading exchanges');
    assert.deepEqual(tester.nSamples, page.nSamples, 'n_samples');
    assert.ok(Math.abs(tester.readOnlyExchanges - page.readOnlyExchanges) <= 1, 'read-only exchanges before the first upload');
    assert.ok(Math.abs(tester.rate / page.rate - 1) <= 0.1, `exchanges per second: tester ${tester.rate.toFixed(3)}, page ${page.rate.toFixed(3)}`);
    assert.ok(Math.abs(tester.uploadBytes / page.uploadBytes - 1) <= 0.25, `upload bodies: tester ${tester.uploadBytes.toFixed(0)} B, page ${page.uploadBytes.toFixed(0)} B`);
    const lagDiff = Math.abs(tester.firstWriteLag - page.firstWriteLag);
    assert.ok(lagDiff <= 2 * 28800, `write clock behind read clock: tester ${tester.firstWriteLag}, page ${page.firstWriteLag}`);
  } finally {
    if (singer) await singer.context.close();
    await server.stop();
  }
});
