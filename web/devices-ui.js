// brigade singer page, step 2: microphone and output pickers, and the input level check that
// suggests a microphone gain. Choices are remembered on this device (prefs.js).

import { prefs } from './prefs.js';
import { SAMPLE_RATE } from './protocol.js';

/** The level check's target: peaks between these levels (dBFS) at full voice. */
export const TARGET_PEAK_DB = { low: -18, high: -6 };
const CHECK_SECONDS = 3;
const MIN_GAIN = 0.25;
const MAX_GAIN = 4;

const $ = (id) => document.getElementById(id);
const dbOf = (x) => (x > 0 ? 20 * Math.log10(x) : -Infinity);

function fill(select, list, chosen) {
  select.replaceChildren(...list.map((d) => new Option(d.label, d.deviceId)));
  if (list.some((d) => d.deviceId === chosen)) select.value = chosen;
}

/** Lists the devices (call once the microphone is allowed, so they have labels). */
export async function showDevices(engine) {
  let lists;
  try {
    lists = await engine.devices();
  } catch {
    return;
  }
  fill($('input-device'), lists.inputs, engine.inputDeviceId);
  $('input-device').disabled = !engine.hasMic || lists.inputs.length === 0;
  fill($('output-device'), lists.outputs, engine.outputDeviceId);
  const canChoose = engine.canChooseOutput && lists.outputs.length > 0;
  $('output-device').disabled = !canChoose;
  $('output-device-note').hidden = canChoose;
}

/** Peak of the microphone over the last CHECK_SECONDS, after the gain. */
function recentPeak(engine) {
  const samples = engine.micHistory.latest(CHECK_SECONDS * SAMPLE_RATE);
  let peak = 0;
  for (let i = 0; i < samples.length; i++) peak = Math.max(peak, Math.abs(samples[i]));
  return peak;
}

/** What a measured peak means and which gain would bring it to the middle of the target. */
export function levelAdvice(peak, gain) {
  const db = dbOf(peak);
  const mid = (TARGET_PEAK_DB.low + TARGET_PEAK_DB.high) / 2;
  if (!Number.isFinite(db) || db < -60) {
    return { ok: false, gain, text: 'We heard nothing. Check that the right microphone is chosen and not muted.' };
  }
  const suggested = Math.min(MAX_GAIN, Math.max(MIN_GAIN, gain * 10 ** ((mid - db) / 20)));
  const rounded = Math.round(suggested * 20) / 20;
  if (db >= TARGET_PEAK_DB.low && db <= TARGET_PEAK_DB.high) {
    return { ok: true, gain, text: `Your level peaks at ${db.toFixed(0)} dB: just right.` };
  }
  const how = db < TARGET_PEAK_DB.low ? 'too quiet' : 'too loud';
  return { ok: false, gain: rounded, text: `Your level peaks at ${db.toFixed(0)} dB (${how}); gain set to ${rounded.toFixed(2)}×. Check again.` };
}

function setGain(engine, gain) {
  engine.setInputGain(gain);
  prefs.setInputGain(gain);
  $('input-gain').value = String(gain);
  $('input-gain-value').textContent = `${gain.toFixed(2)}×`;
}

export function initDevices(engine) {
  engine.inputDeviceId = prefs.inputDevice();
  engine.outputDeviceId = prefs.outputDevice();
  $('input-device').addEventListener('change', async () => {
    const id = $('input-device').value;
    prefs.setInputDevice(id);
    try {
      await engine.setInput(id);
    } catch (err) {
      $('level-result').textContent = `Could not switch microphones: ${err.message}`;
    }
  });
  $('output-device').addEventListener('change', async () => {
    const id = $('output-device').value;
    prefs.setOutputDevice(id);
    try {
      await engine.setOutput(id);
    } catch (err) {
      $('output-device-note').hidden = false;
      $('output-device-note').textContent = `Could not switch outputs: ${err.message}`;
    }
  });
  $('input-gain').addEventListener('input', () => setGain(engine, Number($('input-gain').value)));
  $('level-start').addEventListener('click', () => {
    const button = $('level-start');
    button.disabled = true;
    $('level-result').textContent = 'Listening… sing now.';
    setTimeout(() => {
      button.disabled = false;
      const gain = Number($('input-gain').value);
      const advice = levelAdvice(recentPeak(engine), gain);
      $('level-result').textContent = advice.text;
      if (advice.gain !== gain) setGain(engine, advice.gain);
    }, CHECK_SECONDS * 1000);
  });
}

/** Applies the remembered gain once the audio graph exists. */
export function applyRememberedGain(engine) {
  setGain(engine, prefs.inputGain());
}
