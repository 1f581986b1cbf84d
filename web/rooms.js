// brigade lobby: lists the server's open rooms (GET /api/rooms) with their singers, and sends
// the user to /r/<name>/ to create or join one.

const REFRESH_MS = 5000;
const $ = (id) => document.getElementById(id);

function roomItem(room) {
  const li = document.createElement('li');
  const a = document.createElement('a');
  a.href = room.url;
  a.textContent = room.name === 'default' ? 'default room' : room.name;
  const note = document.createElement('span');
  note.className = 'hint';
  const singers = room.singers === 1 ? '1 singer' : `${room.singers} singers`;
  note.textContent = ` — ${singers}${room.song === 'idle' ? '' : `, ${room.song}`}`;
  li.append(a, note);
  return li;
}

async function refresh() {
  try {
    const r = await fetch('/api/rooms', { cache: 'no-store' });
    if (!r.ok) throw new Error(`HTTP ${r.status}`);
    const lobby = await r.json();
    $('rooms-list').replaceChildren(...lobby.rooms.map(roomItem));
    const open = lobby.rooms.length - 1;
    $('rooms-status').textContent = `${open} of ${lobby.max_rooms} named rooms open` +
      (lobby.create_on_join ? '.' : '; this server has a fixed list of rooms.');
  } catch (e) {
    $('rooms-status').textContent = `Cannot list the rooms (${e.message}); retrying.`;
  }
}

$('room-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  const name = $('room-name').value.trim().toLowerCase();
  if (!/^[a-z0-9][a-z0-9_-]{0,31}$/.test(name)) {
    $('room-rule').textContent = 'Use 1–32 characters: a–z, 0–9, - and _, starting with a letter or digit.';
    return;
  }
  location.href = `/r/${name}/`;
});

refresh();
setInterval(refresh, REFRESH_MS);
