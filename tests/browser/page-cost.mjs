// By hand (not a ctest): the main-thread cost of one connected singer page, from Chromium's own
// counters (CDP Performance.getMetrics) over 10 s. Compare two versions of the page back to
// back on the same machine:
//   node tests/browser/page-cost.mjs web            # this tree's page
//   node tests/browser/page-cost.mjs /tmp/old/web   # e.g. `git archive main web | tar -x -C /tmp/old`
// BRIGADE_SERVER names the server binary (default build/release/server/brigade-server).

import path from 'node:path';

process.env.BRIGADE_WEB_ROOT = path.resolve(process.argv[2] || 'web');
const { loadPlaywright, writeSineWav, tmpDir, startServer, CHROMIUM, CHROMIUM_ARGS, joinChain, stats, waitFor } = await import('./harness.mjs');

const SECONDS = 10;
const chromium = await loadPlaywright();
const server = await startServer(0);
const wav = writeSineWav(path.join(tmpDir('cost'), 'a.wav'), 440);
const context = await chromium.launchPersistentContext(tmpDir('cost-profile'), {
  executablePath: CHROMIUM,
  headless: true,
  args: [...CHROMIUM_ARGS, '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream',
    `--use-file-for-fake-audio-capture=${wav}`, '--autoplay-policy=no-user-gesture-required'],
});
try {
  const page = context.pages()[0] || (await context.newPage());
  await page.goto(server.url);
  await joinChain(page, { name: 'Cost' });
  await waitFor('connected', async () => (await stats(page)).ok >= 5);
  const cdp = await context.newCDPSession(page);
  await cdp.send('Performance.enable');
  const metrics = async () => Object.fromEntries((await cdp.send('Performance.getMetrics')).metrics.map((m) => [m.name, m.value]));
  const a = await metrics();
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  const b = await metrics();
  const perSecond = (key) => (((b[key] - a[key]) * 1000) / SECONDS).toFixed(1);
  console.log(`${process.env.BRIGADE_WEB_ROOT}: main thread script ${perSecond('ScriptDuration')} ms/s, all tasks ${perSecond('TaskDuration')} ms/s over ${SECONDS} s`);
} finally {
  await context.close();
  await server.stop();
}
