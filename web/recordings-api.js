// brigade: the recordings listing (GET /api/recordings, through the transport), shared by the
// recordings page and the singer page's "your song's recording" link. With --private the server
// wants an operator's token: it is kept for the tab only and sent as a header, or as ?token= on
// audio links.

import { HttpTransport } from './transport.js';

import { roomUrl } from './room.js';

export const OPERATOR_KEY = 'brigade.operatorToken';

function token() {
  return sessionStorage.getItem(OPERATOR_KEY) || sessionStorage.getItem('brigade.adminToken') || '';
}

/** `url` with the tab's operator token appended, when there is one. */
export function withToken(url) {
  const t = token();
  return t ? `${url}${url.includes('?') ? '&' : '?'}token=${encodeURIComponent(t)}` : url;
}

/** Resolves to {data} or {error, needsToken}. */
export async function fetchRecordings() {
  try {
    return { data: await new HttpTransport(roomUrl('api')).recordings(token()) };
  } catch (err) {
    if (err.network) return { error: 'Could not reach the server.', needsToken: false };
    if (err.status === 401 || err.status === 403) {
      return {
        error: err.status === 401
          ? 'Recordings on this server are private: enter the operator token to see them.'
          : 'That token was not accepted; check it with the operator.',
        needsToken: true,
      };
    }
    return { error: `The server answered HTTP ${err.status}.`, needsToken: false };
  }
}

/** 75.4 → "1:15". */
export function formatDuration(seconds) {
  const s = Math.max(0, Math.floor(Number(seconds) || 0));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}
