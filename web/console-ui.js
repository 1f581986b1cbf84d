// brigade singer page: the operators' mixing console (admin token, room-wide volumes, automatic
// gain, halting the song, solos, and one channel per singer). UI layer: words and DOM; every
// control is queued on the session for its next exchange.

import { $, ADMIN_KEY, showLatestNotice, levelMeter, setLevel, renderKeyed } from './ui-common.js';

let getSession = () => null;
/** Runs `fn(session)` when there is a session. */
const withSession = (fn) => () => {
  const s = getSession();
  if (s) fn(s);
};

export function initConsole(sessionGetter) {
  getSession = sessionGetter;
  const token = sessionStorage.getItem(ADMIN_KEY) || '';
  $('admin-token').value = token;
  renderAdminState(token);
  const setToken = (value) => {
    if (value) sessionStorage.setItem(ADMIN_KEY, value);
    else sessionStorage.removeItem(ADMIN_KEY);
    getSession()?.setAdminToken(value);
    renderAdminState(value);
  };
  $('admin-form').addEventListener('submit', (e) => {
    e.preventDefault();
    setToken($('admin-token').value.trim());
  });
  $('admin-forget').addEventListener('click', () => {
    $('admin-token').value = '';
    setToken('');
  });
  for (const [id, param] of [['global-volume', 'volume'], ['backing-volume', 'backing_volume']]) {
    const slider = $(id);
    slider.addEventListener('input', () => {
      $(`${id}-value`).textContent = Number(slider.value).toFixed(2);
    });
    slider.addEventListener('change', withSession((s) => s.setParams({ [param]: slider.value })));
  }
  $('auto-gain').addEventListener('change', withSession((s) => s.setParams({ disableAutoGain: $('auto-gain').checked ? '0' : '1' })));
  $('hear-solos').addEventListener('click', withSession((s) => s.setHearSolos(!s.hearSolos)));
  $('halt-song').addEventListener('click', withSession((s) => s.flag('mark_stop_singing')));
}

function renderAdminState(token) {
  $('admin-state').textContent = token ? 'Sent with every request from this tab.' : 'No token set.';
}

/** Shows a slider's server value unless the user is moving it. */
function syncSlider(id, value) {
  const slider = $(id);
  if (value === null || value === undefined || document.activeElement === slider) return;
  slider.value = String(value);
  $(`${id}-value`).textContent = Number(value).toFixed(2);
}

const channelRows = new Map();

function channelRow(u) {
  const li = document.createElement('li');
  const name = document.createElement('span');
  name.className = 'channel-name';
  const level = levelMeter('');
  const slider = document.createElement('input');
  slider.type = 'range';
  slider.min = '0';
  slider.max = '2';
  slider.step = '0.05';
  slider.id = `mic-${u.id}`;
  const out = document.createElement('output');
  out.htmlFor = slider.id;
  slider.addEventListener('input', () => {
    out.textContent = Number(slider.value).toFixed(2);
  });
  slider.addEventListener('change', withSession((s) => s.setMicVolume(u.id, Number(slider.value))));
  const solo = document.createElement('button');
  solo.type = 'button';
  solo.textContent = 'Solo';
  solo.addEventListener('click', withSession((s) => {
    const on = solo.getAttribute('aria-pressed') !== 'true';
    solo.setAttribute('aria-pressed', String(on));
    s.setSolo(u.id, on);
  }));
  li.append(name, level, slider, out, solo);
  return { li, name, level, slider, out, solo };
}

function updateChannel(row, u, session) {
  const label = u.id === session.userid ? `${u.name} (you)` : u.name;
  if (row.name.textContent !== label) row.name.textContent = label;
  row.slider.setAttribute('aria-label', `Microphone level of ${label}`);
  row.solo.setAttribute('aria-label', `Solo ${label}`);
  row.level.setAttribute('aria-label', `${label} level`);
  setLevel(row.level, u.rms);
  if (document.activeElement !== row.slider) {
    row.slider.value = String(u.micVolume);
    row.out.textContent = u.micVolume.toFixed(2);
  }
  row.solo.setAttribute('aria-pressed', String(u.soloed));
}

export function renderConsole(session) {
  syncSlider('global-volume', session.room.globalVolume);
  syncSlider('backing-volume', session.room.backingVolume);
  $('hear-solos').setAttribute('aria-pressed', String(session.hearSolos));
  renderKeyed($('channels'), channelRows, session.users, {
    keyOf: (u) => u.id,
    create: channelRow,
    update: (row, u) => updateChannel(row, u, session),
    emptyText: 'No singers yet.',
  });
  showLatestNotice(session, $('console-notice'), 'console');
}
