// brigade singer page: the page's words for what the session reports as data (its state, its
// problems, refusals and confirmations of controls). UI layer: the session never words anything.

/** What the page calls each parameter in notices. */
const PARAM_LABELS = {
  monitor: 'solo',
  unmonitor: 'solo',
  mic_volume: "another singer's microphone level",
  volume: 'global volume',
  backing_volume: 'backing volume',
  disableAutoGain: 'automatic gain',
  track: 'backing track',
  clear_events: 'clearing markers',
  mark_stop_singing: 'halting the song',
  mark_start_singing: 'starting the song',
  request_lead: 'taking the lead',
  hand_lead: 'handing the lead over',
};

/** A friendly volume for notices: two decimals. */
function fmt(v) {
  const x = Number(v);
  return Number.isFinite(x) ? x.toFixed(2) : String(v);
}

const stripDot = (text) => String(text).replace(/\.$/, '');

/** One sentence for a session problem (a SessionError). */
export function problemText(p) {
  if (!p) return '';
  switch (p.code) {
    case 'unreachable':
      return `Cannot reach the server (${p.detail === 'timeout' ? 'no answer in time' : 'network error'}).`;
    case 'server':
      return `${stripDot(p.detail)}.`;
    case 'no-clock':
      return 'The server sent no clock.';
    case 'bad-clock':
      return 'The server clock is not a 48 kHz sample count.';
    case 'bad-reply':
      return `Unreadable reply from the server (${p.detail}).`;
    case 'wrong-interval':
      return 'The server answered for a different stretch of audio.';
    default:
      return `Audio problem: ${stripDot(p.detail)}.`;
  }
}

/** The banner's text for the session's stats ('' when all is well). */
export function statusText(s) {
  switch (s.state) {
    case 'connecting':
    case 'reconnecting':
      return 'Connecting to the choir…';
    case 'moving':
      return `Moving you to bucket ${s.movingTo + 1}…`;
    case 'offline':
      return `${problemText(s.problem)} Check your internet connection; you will rejoin automatically. Retrying in ${s.retryInS} s…`;
    case 'error':
      return `The server ended the connection: ${stripDot(problemText(s.problem))}. Retrying in ${s.retryInS} s…`;
    default:
      return '';
  }
}

/** One sentence for a notice the session recorded (a refusal or a confirmation). */
export function noticeText(n) {
  if (n.kind === 'ok') {
    const done = n.applied.map(({ key, value }) => {
      if (key === 'volume') return `global volume ${fmt(value)}`;
      if (key === 'backing_volume') return `backing volume ${fmt(value)}`;
      if (key === 'disableAutoGain') return `automatic gain ${value}`;
      return 'song halted';
    });
    return `The server applied: ${done.join(', ')}.`;
  }
  const what = n.keys.map((k) => PARAM_LABELS[k] || k).join(', ') || 'the request';
  const hint = !/admin token/.test(n.serverMessage) ? ''
    : n.withToken
    ? 'The admin token you entered was not accepted; check it with the operator.'
    : `Ask the operator for the admin token and enter it ${n.area === 'console' ? 'below' : 'in the mixing console'}.`;
  return `The server refused ${what}: ${stripDot(n.serverMessage)}. ${hint}`;
}

/** Why an upload failed (a TransportError). */
export function uploadProblemText(fileName, err) {
  if (err.network) return 'Could not reach the server to upload. Check your connection and try again.';
  return `The server did not accept “${fileName}”: ${err.serverMessage || err.message}.`;
}
