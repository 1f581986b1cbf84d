// brigade browser tests: a real brigade-server, Debian's Chromium with fake audio devices,
// and helpers that walk the singer page's join flow like a person would.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PROBE_SCRIPT } from './audio-probe.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '../..');

export const CHROMIUM = '/usr/bin/chromium';
export const SERVER = process.env.BRIGADE_SERVER || path.join(repo, 'build/release/server/brigade-server');
export const WEB_ROOT = process.env.BRIGADE_WEB_ROOT || path.join(repo, 'web');
export const ARTIFACTS = process.env.BRIGADE_ARTIFACTS || path.join(repo, 'build/artifacts');

/** Why the browser tests cannot run here, or null. */
export function missingPrerequisite() {
  if (!fs.existsSync(CHROMIUM)) return `${CHROMIUM} is missing (apt-get install chromium, or run scripts/test)`;
  if (!fs.existsSync(path.join(here, 'node_modules/playwright-core'))) {
    return 'tests/browser/node_modules/playwright-core is missing (npm install in tests/browser, or run scripts/test)';
  }
  return null;
}

export async function loadPlaywright() {
  const mod = await import(path.join(here, 'node_modules/playwright-core/index.mjs'));
  return mod.chromium;
}

/** Writes a 48 kHz 16-bit mono WAV of a sine at `freq` Hz. */
export function writeSineWav(file, freq, { seconds = 10, amplitude = 0.3 } = {}) {
  const rate = 48000;
  const n = rate * seconds;
  const buf = Buffer.alloc(44 + n * 2);
  buf.write('RIFF', 0);
  buf.writeUInt32LE(36 + n * 2, 4);
  buf.write('WAVE', 8);
  buf.write('fmt ', 12);
  buf.writeUInt32LE(16, 16);
  buf.writeUInt16LE(1, 20); // PCM
  buf.writeUInt16LE(1, 22); // mono
  buf.writeUInt32LE(rate, 24);
  buf.writeUInt32LE(rate * 2, 28);
  buf.writeUInt16LE(2, 32);
  buf.writeUInt16LE(16, 34);
  buf.write('data', 36);
  buf.writeUInt32LE(n * 2, 40);
  for (let i = 0; i < n; i++) {
    buf.writeInt16LE(Math.round(amplitude * 32767 * Math.sin((2 * Math.PI * freq * i) / rate)), 44 + i * 2);
  }
  fs.writeFileSync(file, buf);
  return file;
}

const tmpDirs = [];
// Sync, because 'exit' handlers cannot wait: without it every run left its Chromium profiles,
// WAVs and recordings in /tmp (hundreds of directories a day on a CI machine).
process.on('exit', () => {
  for (const dir of tmpDirs) fs.rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
});

/** A fresh directory under the system temp dir, removed when the test process exits. */
export function tmpDir(prefix) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `brigade-${prefix}-`));
  tmpDirs.push(dir);
  return dir;
}

/**
 * Starts brigade-server on 127.0.0.1:`port` (0 = any) with `extraArgs` (e.g. --tracks-dir DIR);
 * resolves once it prints its address.
 */
export function startServer(port = 0, extraArgs = []) {
  const proc = spawn(SERVER, ['--listen', `127.0.0.1:${port}`, '--web-root', WEB_ROOT, ...extraArgs], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`brigade-server did not report its address within 10 s:\n${log}`));
    }, 10000);
    const onData = (chunk) => {
      log += chunk.toString();
      const m = log.match(/listening on (http:\/\/127\.0\.0\.1:(\d+)\/)/);
      if (m) {
        clearTimeout(timer);
        resolve({
          proc,
          url: m[1],
          port: Number(m[2]),
          log: () => log,
          stop: () => stopProcess(proc),
        });
      }
    };
    proc.stdout.on('data', onData);
    proc.stderr.on('data', (c) => {
      log += c.toString();
    });
    proc.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`brigade-server exited (${code}) before listening:\n${log}`));
    });
  });
}

function stopProcess(proc) {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => proc.kill('SIGKILL'), 5000);
    proc.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    proc.kill('SIGINT'); // SIGTERM would let a running song finish first (the drain)
  });
}

/** brigade-sim-singers (tests/browser/sim_singers.cpp): singers uploading real Opus in 1.8 s stripes. */
export const SIM_SINGERS = process.env.BRIGADE_SIM_SINGERS || path.join(repo, 'build/release/tests/browser/brigade-sim-singers');

/**
 * Starts the simulated choir against 127.0.0.1:`port`; collects its `WROTE begin end` lines in
 * `writes`, FAIL/ERROR lines in `problems`; `ready` once it says READY. `stop()` ends it.
 */
export function startSimSingers(port, { singers = 12, seconds = 200 } = {}) {
  const proc = spawn(SIM_SINGERS, ['--port', String(port), '--singers', String(singers), '--seconds', String(seconds)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const sim = { proc, writes: [], problems: [], log: '', ready: false };
  let pending = '';
  proc.stdout.on('data', (chunk) => {
    pending += chunk.toString();
    const lines = pending.split('\n');
    pending = lines.pop();
    for (const line of lines) {
      const [tag, a, b] = line.split(' ');
      if (tag === 'WROTE') sim.writes.push({ begin: Number(a), end: Number(b) });
      else if (tag === 'READY') sim.ready = true;
      else if (tag === 'FAIL' || tag === 'ERROR') sim.problems.push(line);
    }
  });
  proc.stderr.on('data', (c) => {
    sim.log += c.toString();
  });
  sim.stop = () =>
    new Promise((resolve) => {
      if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
      proc.once('exit', resolve);
      proc.kill('SIGTERM');
    });
  return sim;
}

/** Flags every test's headless Chromium needs on a machine whose network is loopback only. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * Launches Chromium whose microphone plays `wav`, with the tests' audio probe (audio-probe.mjs)
 * injected into every page (and `initScript`, a test's own, if given); returns {context, page, errors}.
 */
export async function launchSinger(chromium, { wav, url, initScript = null }) {
  const context = await chromium.launchPersistentContext(tmpDir('profile'), {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1100, height: 900 },
    args: [
      ...CHROMIUM_ARGS,
      '--use-fake-ui-for-media-stream',
      '--use-fake-device-for-media-stream',
      `--use-file-for-fake-audio-capture=${wav}`,
      '--autoplay-policy=no-user-gesture-required',
    ],
  });
  await context.addInitScript({ content: PROBE_SCRIPT });
  if (initScript) await context.addInitScript({ content: initScript });
  const page = context.pages()[0] || (await context.newPage());
  const errors = [];
  page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(`console: ${msg.text()}`);
  });
  await page.goto(url);
  return { context, page, errors };
}

/** Walks name → microphone → manual latency → chain; `shots` = file-name prefix for screenshots of each step. */
export async function joinChain(page, { name, latencyMs = 120, shots = null }) {
  const shot = (step) => (shots ? page.screenshot({ path: artifactPath(`${shots}-${step}.png`), fullPage: true }) : null);
  await page.getByLabel('Your name, as the choir will see it').fill(name);
  await shot('1-name');
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.getByRole('button', { name: 'Allow microphone' }).click();
  await page.getByRole('button', { name: 'Sounds good, continue' }).waitFor();
  await page.waitForTimeout(300); // Let the level meter show the input.
  await shot('2-microphone');
  await page.getByRole('button', { name: 'Sounds good, continue' }).click();
  await page.getByText('Can’t calibrate? Enter your latency by hand').click();
  await page.getByLabel('Round-trip latency (ms)').fill(String(latencyMs));
  await page.getByRole('button', { name: 'Use this value' }).click();
  await shot('3-latency');
  await page.getByRole('button', { name: 'Join the choir' }).click();
}

/** Walks name (listen only, no microphone) → audio → chain; the server puts such a page last. */
export async function joinListening(page, name) {
  await page.getByLabel('Your name, as the choir will see it').fill(name);
  await page.getByLabel('Listen only (no microphone)').check();
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.getByRole('button', { name: 'Start audio' }).click();
  await page.getByRole('button', { name: 'Sounds good, continue' }).click();
}

export const stats = (page) => page.evaluate(() => JSON.parse(JSON.stringify(window.brigade.stats)));

/** Polls `fn` (async) until it returns a truthy value; throws with `what` after `ms`. */
export async function waitFor(what, fn, ms = 30000, every = 250) {
  const until = Date.now() + ms;
  let last;
  for (;;) {
    last = await fn();
    if (last) return last;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, every));
  }
}

export function artifactPath(name) {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  return path.join(ARTIFACTS, name);
}
