/**
 * How a k6 run marks its requests so that a server's access log tells them apart (`npm run bench:load`): with
 * REQUEST_MARK set, every request of load/*.ts carries the User-Agent `<mark> (<endpoint>)`. Nginx's access log
 * keeps no query string and no custom header, but it keeps the User-Agent; lib/nginx-log.ts selects by it.
 *
 * k6 bundles this file (load/lib.ts imports it): plain TypeScript without imports.
 */

/** The User-Agent of a marked request to `endpoint` (load/lib.ts's endpoint tag). */
export function markedUserAgent(mark: string, endpoint: string): string {
  return `${mark} (${endpoint})`;
}

/** The endpoint a User-Agent names when it is `mark`'s (markedUserAgent), else undefined. */
export function markedEndpoint(userAgent: string, mark: string): string | undefined {
  const prefix = `${mark} (`;
  if (mark === '' || !userAgent.startsWith(prefix) || !userAgent.endsWith(')')) return undefined;
  const endpoint = userAgent.slice(prefix.length, -1);
  return /^[\w-]+$/.test(endpoint) ? endpoint : undefined;
}
