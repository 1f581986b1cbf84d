// brigade singer page: what the UI modules share: element lookup, the page's shown state
// (published as window.brigade.stats), notices, level meters and keyed lists.

import { noticeText } from './wording.js';

export const $ = (id) => document.getElementById(id);

/** The operators' admin token lives only as long as this tab. */
export const ADMIN_KEY = 'brigade.adminToken';

/** What the page shows, as data: refreshed on every render. */
export const stats = {
  state: 'idle',
  message: '',
  step: 'name',
  requests: 0,
  ok: 0,
  errors: 0,
  lastError: '',
  shownError: '',
  readClock: null,
  writeClock: null,
  bucket: null,
  delaySeconds: null,
};

/** kind: 'ok' | 'refused' | 'info'. */
export function showNotice(el, kind, text) {
  el.className = `notice ${kind}`;
  el.textContent = text;
  el.hidden = !text;
  if (kind === 'refused') stats.shownRefusal = text;
}

const shownNotice = { song: 0, console: 0 };

/** Shows the session's latest notice for `area` ('song' | 'console') in `el`, once. */
export function showLatestNotice(session, el, area) {
  const latest = session.notices.filter((n) => n.area === area).at(-1);
  if (!latest || latest.id === shownNotice[area]) return;
  shownNotice[area] = latest.id;
  showNotice(el, latest.kind, noticeText(latest));
  if (latest.kind === 'refused' && area === 'console') $('console').open = true;
}

/** Level in percent on a 60 dB scale (0 % = -60 dBFS, 100 % = full scale). */
export function levelPercent(value) {
  if (!(value > 0)) return 0;
  return Math.max(0, Math.min(100, Math.round(((20 * Math.log10(value) + 60) / 60) * 100)));
}

/** A level meter element (role meter) whose fill shows `value`. */
export function levelMeter(label) {
  const level = document.createElement('div');
  level.className = 'level';
  level.setAttribute('role', 'meter');
  if (label) level.setAttribute('aria-label', label);
  level.append(document.createElement('div'));
  return level;
}

export function setLevel(level, value) {
  const pct = levelPercent(value);
  level.setAttribute('aria-valuenow', String(pct));
  level.firstChild.style.width = `${pct}%`;
}

/**
 * The one way the page renders lists: `list` (an element) holds one row per item, in order,
 * keyed by `keyOf(item)`. `create(item)` returns a row ({li, ...}), `update(row, item)` refreshes
 * it. Rows are kept across renders (`rows`: a Map), so focus, sliders being dragged and
 * listeners survive; an `emptyText` row stands in for an empty list.
 */
export function renderKeyed(list, rows, items, { keyOf, create, update, emptyText }) {
  const keys = new Set(items.map(keyOf));
  for (const [key, row] of rows) {
    if (!keys.has(key)) {
      row.li.remove();
      rows.delete(key);
    }
  }
  const want = items.map((item) => {
    const key = keyOf(item);
    let row = rows.get(key);
    if (!row) {
      row = create(item);
      rows.set(key, row);
    }
    update(row, item);
    return row.li;
  });
  for (const li of list.querySelectorAll(':scope > .empty')) if (want.length) li.remove();
  const shown = Array.from(list.children).filter((li) => !li.classList.contains('empty'));
  if (shown.length !== want.length || shown.some((li, i) => li !== want[i])) list.append(...want);
  if (!want.length && emptyText && !list.querySelector(':scope > .empty')) {
    const li = document.createElement('li');
    li.className = 'empty';
    li.textContent = emptyText;
    list.append(li);
  }
}
