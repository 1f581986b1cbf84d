// brigade: which room this page is in. A page under /r/<room>/ belongs to that room and talks to
// /r/<room>/api; anywhere else it is the default room's (/api), as it always was.

const match = location.pathname.match(/^\/r\/([a-z0-9][a-z0-9_-]{0,31})\//);

/** The room's name, or '' for the default room. */
export const roomName = match ? match[1] : '';
/** The room's path prefix, ending in '/': '/r/<room>/' or '/'. */
export const roomBase = match ? match[0] : '/';
/** Absolute URL of `path` (no leading slash) inside this page's room, e.g. roomUrl('api'). */
export const roomUrl = (path) => new URL(roomBase + path, location.origin).href;
