// brigade singer page: the join flow: name (step 1), microphone and output test (step 2) and
// latency (step 3). UI layer: words and DOM. Step 4, the chain, is app.js.

import { opusProblem } from './codec.js';
import { calibrate, savedLatencyMs, saveLatencyMs } from './calibration.js';
import { prefs } from './prefs.js';
import { initDevices, showDevices, applyRememberedGain } from './devices-ui.js';
import { $, stats } from './ui-common.js';

let engine = null;
let getSession = () => null;
/** Called with (latencyMs, {listenOnly, noHeadphones}) when the singer joins. */
let onJoin = () => {};
let latencyMs = savedLatencyMs();
let listenOnly = false;
let noHeadphones = false;

/** Wires the three steps; `join` is called when the singer joins the chain. */
export function initJoin(audio, sessionGetter, join) {
  engine = audio;
  getSession = sessionGetter;
  onJoin = join;
  initNameStep();
  initMicStep();
  initLatencyStep();
}

export function show(step) {
  for (const s of ['name', 'mic', 'latency', 'chain']) $(`step-${s}`).hidden = s !== step;
  stats.step = step;
  const first = $(`step-${step}`).querySelector('h1, h2, h3');
  if (first) {
    first.tabIndex = -1;
    first.focus();
  }
}

function showError(el, text) {
  el.textContent = text;
  el.hidden = !text;
  if (text) stats.shownError = text;
}

// Step 1: name.
async function initNameStep() {
  $('name').value = prefs.name();
  const headphones = prefs.headphones();
  if (headphones !== null) document.querySelector(`input[name="headphones"][value="${headphones ? 'yes' : 'no'}"]`).checked = true;
  $('remembered').hidden = !prefs.any();
  $('forget-me').addEventListener('click', forgetMe);
  const problem = await opusProblem();
  if (problem) {
    showError($('support-error'), problem);
    $('name-next').disabled = true;
    return;
  }
  $('name-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const name = $('name').value.trim();
    if (!name) return;
    prefs.setName(name);
    noHeadphones = document.querySelector('input[name="headphones"]:checked').value === 'no';
    prefs.setHeadphones(!noHeadphones);
    listenOnly = $('listen-only-join').checked;
    if (listenOnly) listenOnlyMode();
    show('mic');
  });
}

/** Forgets everything stored on this device and starts over. */
export function forgetMe() {
  prefs.forget();
  getSession()?.stop();
  window.location.reload();
}

// Step 2: microphone and output test.
function listenOnlyMode() {
  listenOnly = true;
  $('mic-intro').textContent = 'You chose to listen only. Check that you can hear the test sound.';
  $('mic-allow').textContent = 'Start audio';
  $('mic-meter-fill').closest('.meter-row').hidden = true;
  $('level-check').hidden = true;
}

function initMicStep() {
  initDevices(engine);
  $('mic-back').addEventListener('click', () => show('name'));
  $('mic-listen-instead').addEventListener('click', () => {
    listenOnlyMode();
    $('mic-way-back').hidden = true;
    $('mic-allow').click();
  });
  $('mic-allow').addEventListener('click', async () => {
    showError($('mic-error'), '');
    $('mic-way-back').hidden = true;
    $('mic-allow').disabled = true;
    try {
      await engine.start({ listenOnly });
      applyRememberedGain(engine);
      $('mic-allow').hidden = true;
      $('mic-check').hidden = false;
      await showDevices(engine);
      $('mic-next').focus();
    } catch (err) {
      $('mic-allow').disabled = false;
      const denied = err.name === 'NotAllowedError' || err.name === 'SecurityError';
      showError(
        $('mic-error'),
        denied
          ? 'The microphone was blocked. Allow it in the address bar’s site settings (the icon left of the address), then press “Allow microphone” again — or listen only.'
          : `Could not start audio: ${err.message}`,
      );
      $('mic-allow').textContent = 'Try again';
      $('mic-way-back').hidden = false;
    }
  });
  $('chime').addEventListener('click', () => engine.chime());
  $('mic-next').addEventListener('click', () => {
    if (listenOnly) onJoin(0, { listenOnly, noHeadphones });
    else show('latency');
  });
}

// Step 3: latency.
function setLatency(ms, text) {
  latencyMs = ms;
  saveLatencyMs(ms);
  $('calibrate-result').textContent = text;
  $('join').disabled = false;
}

function initLatencyStep() {
  if (latencyMs !== null) {
    $('calibrate-result').textContent = `Using your latency from earlier: ${latencyMs.toFixed(0)} ms. You can measure again.`;
    $('manual-latency').value = String(Math.round(latencyMs));
    $('join').disabled = false;
  }
  $('calibrate').addEventListener('click', async () => {
    $('calibrate').disabled = true;
    const bar = $('calibrate-progress');
    bar.hidden = false;
    $('calibrate-result').textContent = 'Listening for clicks…';
    const r = await calibrate(engine, (i, n) => {
      bar.value = i;
      bar.max = n;
    });
    bar.hidden = true;
    $('calibrate').disabled = false;
    $('calibrate').textContent = 'Calibrate again';
    if (r.ok) {
      setLatency(r.medianMs, r.message);
      $('manual-latency').value = String(Math.round(r.medianMs));
    } else {
      // Suggest a value and let the singer join with it (or type their own).
      setLatency(r.suggestedMs, `${r.message} For now we use ${r.suggestedMs} ms, so you can join; change it below if you know better.`);
      $('manual-latency').value = String(r.suggestedMs);
      $('manual-latency-box').open = true;
    }
  });
  $('manual-latency-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const ms = Number.parseFloat($('manual-latency').value);
    if (!Number.isFinite(ms) || ms < 0 || ms > 1000) {
      $('calibrate-result').textContent = 'Please enter a number of milliseconds between 0 and 1000.';
      return;
    }
    setLatency(ms, `Using ${ms.toFixed(0)} ms, entered by hand.`);
  });
  $('join').addEventListener('click', () => onJoin(latencyMs, { listenOnly, noHeadphones }));
}
