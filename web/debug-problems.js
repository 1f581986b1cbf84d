// brigade debug chart: the problems list. One row per (singer, problem) the server's detectors
// flag, sortable, each linked to the singer on the chart.

export const PROBLEM_KINDS = ['late', 'missing', 'miscalibrated', 'silent', 'clipping', 'reconnects', 'codec_resets'];
export const PROBLEM_LABELS = {
  late: 'Late uploads',
  missing: 'Missing uploads',
  miscalibrated: 'Mis-calibrated',
  silent: 'Silent',
  clipping: 'Clipping',
  reconnects: 'Reconnect storm',
  codec_resets: 'Codec resets',
};

/** The problem names of a singer's bit mask (bit k = PROBLEM_KINDS[k]). */
export function problemNames(mask) {
  return PROBLEM_KINDS.filter((_, k) => (mask >> k) & 1);
}

/** [detail text, severity for sorting] of one problem. */
function detail(kind, g) {
  const h = g.health;
  switch (kind) {
    case 'late':
      return [`requests up to ${h.late_ms} ms late`, h.late_ms];
    case 'missing':
      return h.since_last_s >= 2
        ? [`nothing for ${h.since_last_s.toFixed(1)} s`, 1000 + h.since_last_s]
        : ['gaps between uploads', 1];
    case 'miscalibrated': {
      const d = h.offset_from_peers_ms;
      return [`write offset ${h.write_offset_ms} ms, ${d > 0 ? '+' : '−'}${Math.abs(d)} ms from its bucket`, Math.abs(d)];
    }
    case 'silent':
      return [`silent for ${h.silent_s.toFixed(0)} s`, h.silent_s];
    case 'clipping':
      return [`peak ${h.peak.toFixed(2)}`, h.peak];
    case 'reconnects':
      return [`~${h.reconnects.toFixed(0)} reconnects lately`, h.reconnects];
    case 'codec_resets':
      return [`~${h.codec_resets.toFixed(0)} codec resets lately`, h.codec_resets];
    default:
      return ['', 0];
  }
}

export function problemsOf(state) {
  const list = [];
  for (const g of state.singers) {
    if (!g.problems) continue;
    for (const kind of problemNames(g.problems)) {
      const [text, severity] = detail(kind, g);
      list.push({ key: `${g.id}:${kind}`, kind, singer: g, text, severity });
    }
  }
  return list;
}

const SORTERS = {
  problem: (p) => [PROBLEM_KINDS.indexOf(p.kind), -p.severity],
  singer: (p) => [p.singer.name.toLowerCase(), p.singer.idNum],
  bucket: (p) => [p.singer.bucket, p.singer.delay_seconds],
  detail: (p) => [-p.severity],
};

function compare(a, b) {
  for (let i = 0; i < a.length; i++) {
    if (a[i] < b[i]) return -1;
    if (a[i] > b[i]) return 1;
  }
  return 0;
}

export class ProblemsList {
  constructor(table, summary, { bucketColors, onSelect }) {
    this.table = table;
    this.tbody = table.querySelector('tbody');
    this.summary = summary;
    this.bucketColors = bucketColors;
    this.onSelect = onSelect;
    this.sortKey = 'problem';
    this.sortDir = 1;
    this.rows = new Map(); // key → <tr>
    this.lastKey = '';
    for (const th of table.querySelectorAll('th[data-key]')) {
      th.querySelector('button').addEventListener('click', () => {
        const k = th.dataset.key;
        this.sortDir = k === this.sortKey ? -this.sortDir : 1;
        this.sortKey = k;
        for (const other of table.querySelectorAll('th[data-key]')) other.removeAttribute('aria-sort');
        th.setAttribute('aria-sort', this.sortDir > 0 ? 'ascending' : 'descending');
        this.lastKey = '';
        if (this.state) this.update(this.state, this.selected);
      });
    }
  }

  makeRow(p) {
    const tr = document.createElement('tr');
    const kind = document.createElement('td');
    const who = document.createElement('th');
    who.scope = 'row';
    const link = document.createElement('button');
    link.type = 'button';
    link.className = 'linklike';
    link.addEventListener('click', () => this.onSelect(tr.dataset.id, { scroll: true }));
    who.append(link);
    const bucket = document.createElement('td');
    const sw = document.createElement('span');
    sw.className = 'swatch';
    sw.setAttribute('aria-hidden', 'true');
    bucket.append(sw, document.createTextNode(''));
    const text = document.createElement('td');
    tr.append(kind, who, bucket, text);
    tr.dataset.kind = p.kind;
    return tr;
  }

  update(state, selected) {
    this.state = state;
    this.selected = selected;
    const list = problemsOf(state);
    const key = SORTERS[this.sortKey];
    list.sort((a, b) => this.sortDir * compare(key(a), key(b)) || compare([a.singer.idNum], [b.singer.idNum]));
    const counts = state.problem_counts || {};
    const chips = PROBLEM_KINDS.filter((k) => counts[k]).map((k) => `${counts[k]} ${PROBLEM_LABELS[k].toLowerCase()}`);
    const summaryText = chips.length ? chips.join(' · ') : 'No problems: every singer is on time, calibrated and audible.';
    if (this.summary.textContent !== summaryText) this.summary.textContent = summaryText;
    const seen = new Set();
    let prev = null;
    for (const p of list) {
      seen.add(p.key);
      let tr = this.rows.get(p.key);
      if (!tr) {
        tr = this.makeRow(p);
        this.rows.set(p.key, tr);
      }
      const g = p.singer;
      tr.dataset.id = g.id;
      const c = tr.children;
      set(c[0], PROBLEM_LABELS[p.kind]);
      set(c[1].firstChild, g.name);
      c[1].firstChild.setAttribute('aria-label', `Show ${g.name} (id ${g.id}) on the chart`);
      c[2].firstChild.style.background = this.bucketColors[g.bucket % this.bucketColors.length];
      set(c[2].lastChild, ` ${g.bucket + 1}`);
      set(c[3], p.text);
      tr.classList.toggle('selected', g.id === selected);
      const want = prev ? prev.nextSibling : this.tbody.firstChild;
      if (want !== tr) this.tbody.insertBefore(tr, want);
      prev = tr;
    }
    for (const [k, tr] of this.rows) {
      if (!seen.has(k)) {
        tr.remove();
        this.rows.delete(k);
      }
    }
    this.table.hidden = list.length === 0;
  }
}

function set(el, text) {
  if (el.textContent !== text) el.textContent = text;
}
