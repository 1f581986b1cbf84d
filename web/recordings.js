// brigade recordings page: one card per song from GET /api/recordings (player, date, duration,
// leader, and the song's per-singer stems when the server lists any).

import { fetchRecordings, withToken, formatDuration } from './recordings-api.js';

const $ = (id) => document.getElementById(id);

function card(r) {
  const li = document.createElement('li');
  li.className = 'card rec';
  li.dataset.name = r.name;
  const h = document.createElement('h2');
  const when = r.started_utc ? new Date(r.started_utc) : null;
  h.textContent = when ? when.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' }) : r.name;
  const facts = document.createElement('p');
  facts.className = 'hint';
  const parts = [formatDuration(r.duration_seconds)];
  parts.push(r.leader ? `led by ${r.leader}` : 'no leader');
  if (!r.finished) parts.push('still recording');
  facts.textContent = parts.join(' · ');
  const audio = document.createElement('audio');
  audio.controls = true;
  audio.preload = 'metadata';
  audio.src = withToken(r.url);
  audio.setAttribute('aria-label', `Recording of ${h.textContent}`);
  const links = document.createElement('p');
  const a = document.createElement('a');
  a.href = withToken(r.url);
  a.download = r.name;
  a.textContent = `Download ${r.name}`;
  links.append(a);
  li.append(h, facts, audio, links);
  if (Array.isArray(r.stems) && r.stems.length) {
    const stems = document.createElement('ul');
    stems.className = 'stems';
    stems.setAttribute('aria-label', 'Each singer’s own track');
    for (const s of r.stems) {
      const item = document.createElement('li');
      const link = document.createElement('a');
      link.href = withToken(s.url);
      link.textContent = s.name || s.url;
      item.append(link);
      stems.append(item);
    }
    if (r.stems_archive) {
      const item = document.createElement('li');
      const link = document.createElement('a');
      link.href = withToken(r.stems_archive);
      link.download = '';
      link.textContent = 'All stems (.tar)';
      item.append(link);
      stems.append(item);
    }
    li.append(stems);
  }
  return li;
}

async function load() {
  const status = $('rec-status');
  const res = await fetchRecordings();
  $('rec-token-form').hidden = !res.needsToken;
  if (res.error) {
    status.className = `notice ${res.needsToken ? 'info' : 'refused'}`;
    status.textContent = res.error;
    $('rec-list').replaceChildren();
    return;
  }
  const list = res.data.recordings;
  status.hidden = list.length > 0;
  status.textContent = res.data.enabled ? 'No recordings yet. Each song is recorded as it ends up in the last bucket.' : 'This server does not record songs.';
  $('rec-list').replaceChildren(...list.map(card));
}

$('rec-token-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const token = $('rec-token').value.trim();
  if (token) sessionStorage.setItem('brigade.operatorToken', token);
  load();
});
load();
