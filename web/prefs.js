// brigade singer page: what the page remembers on this device (localStorage) between
// rehearsals: name, latency, microphone gain, devices and headphones. "Forget me" clears it all.

const PREFIX = 'brigade.';
const KEYS = {
  name: 'brigade.name',
  latency: 'brigade.latency',
  gain: 'brigade.inputGain',
  input: 'brigade.inputDevice',
  output: 'brigade.outputDevice',
  headphones: 'brigade.headphones',
};

function get(key) {
  try {
    return localStorage.getItem(KEYS[key]);
  } catch {
    return null; // storage disabled: nothing is remembered
  }
}

function set(key, value) {
  try {
    localStorage.setItem(KEYS[key], String(value));
  } catch {
    // Storage disabled or full: the page works, it just forgets.
  }
}

function number(key, min, max) {
  const v = Number.parseFloat(get(key) ?? '');
  return Number.isFinite(v) && v >= min && v <= max ? v : null;
}

export const prefs = {
  name: () => get('name') || '',
  setName: (v) => set('name', v),
  latencyMs: () => number('latency', 0, 1000),
  setLatencyMs: (v) => set('latency', v),
  inputGain: () => number('gain', 0.25, 4) ?? 1,
  setInputGain: (v) => set('gain', v),
  inputDevice: () => get('input') || '',
  setInputDevice: (v) => set('input', v),
  outputDevice: () => get('output') || '',
  setOutputDevice: (v) => set('output', v),
  /** null = never answered. */
  headphones: () => (get('headphones') === null ? null : get('headphones') === 'yes'),
  setHeadphones: (on) => set('headphones', on ? 'yes' : 'no'),
  /** True when anything about this singer is stored. */
  any() {
    return Object.keys(KEYS).some((k) => get(k) !== null);
  },
  /** Removes everything the page stored on this device (and in this tab). */
  forget() {
    for (const store of [localStorage, sessionStorage]) {
      try {
        for (const k of Object.keys(store)) if (k.startsWith(PREFIX)) store.removeItem(k);
      } catch {
        // Nothing stored.
      }
    }
  },
};
