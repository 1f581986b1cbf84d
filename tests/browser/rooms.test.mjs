// Browser test of rooms: a singer page opened at /r/alto/ says it is in room alto, sings in that
// room only (the server's lobby counts it there, the default room stays empty), keeps its links
// inside the room, and the lobby page at /rooms lists the room with its singer.

import test from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import {
  missingPrerequisite,
  loadPlaywright,
  writeSineWav,
  tmpDir,
  startServer,
  launchSinger,
  joinChain,
  stats,
  waitFor,
  artifactPath,
} from './harness.mjs';

const missing = missingPrerequisite();
if (missing) console.log(`BRIGADE-SKIP: browser tests skipped: ${missing}`);

const lobby = async (server) => (await (await fetch(`${server.url}api/rooms`)).json()).rooms;
const singersIn = async (server, name) => (await lobby(server)).find((r) => r.name === name)?.singers;

test('a page in room alto sings in alto only; the lobby lists it', { skip: missing || false, timeout: 120000 }, async () => {
  const chromium = await loadPlaywright();
  const dir = tmpDir('wav');
  const server = await startServer();
  const singer = await launchSinger(chromium, { wav: writeSineWav(path.join(dir, 'r.wav'), 440), url: `${server.url}r/alto/` });
  try {
    const { page } = singer;
    assert.equal(await page.locator('#room-pill').textContent(), 'Room: alto');
    assert.ok(await page.locator('#room-pill').isVisible(), 'the room is shown');
    const apiPaths = new Set();
    page.on('request', (req) => {
      const u = new URL(req.url());
      if (u.pathname.includes('api')) apiPaths.add(u.pathname);
    });
    page.on('websocket', (ws) => apiPaths.add(new URL(ws.url()).pathname));  // the exchange's
    await joinChain(page, { name: 'Ana' });
    await waitFor('connected', async () => (await stats(page)).ok >= 3);
    await waitFor('the server counts the singer in alto', async () => (await singersIn(server, 'alto')) === 1);
    assert.equal(await singersIn(server, 'default'), 0, 'the default room stays empty');
    assert.deepEqual([...apiPaths].filter((p) => !p.startsWith('/r/alto/')), [], 'every API call stays in the room');
    assert.ok(apiPaths.has('/r/alto/api/ws'), `the exchange goes to /r/alto/api/ws (saw ${[...apiPaths]})`);
    const links = await page.locator('footer a').evaluateAll((as) => as.map((a) => new URL(a.href).pathname));
    assert.deepEqual(links, ['/r/alto/recordings/', '/r/alto/debug.html']);
    await page.screenshot({ path: artifactPath('rooms-singer.png'), fullPage: true });

    const lobbyPage = await singer.context.newPage();
    await lobbyPage.goto(`${server.url}rooms`);
    await waitFor('the lobby lists alto with its singer', async () =>
      (await lobbyPage.locator('#rooms-list').textContent()).includes('alto — 1 singer'));
    await lobbyPage.getByLabel('Room name').fill('bass');
    await lobbyPage.getByRole('button', { name: 'Go to the room' }).click();
    await lobbyPage.waitForURL(`${server.url}r/bass/`);
    assert.equal(await lobbyPage.locator('#room-pill').textContent(), 'Room: bass');
    await waitFor('the lobby API lists bass', async () => (await lobby(server)).some((r) => r.name === 'bass'));
    await lobbyPage.goto(`${server.url}rooms`);
    await lobbyPage.screenshot({ path: artifactPath('rooms-lobby.png'), fullPage: true });
    assert.equal((await stats(page)).errors, 0);
    assert.deepEqual(singer.errors, [], 'no page errors');
  } finally {
    await singer.context.close();
    await server.stop();
  }
});
