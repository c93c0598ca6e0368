import { type IncomingMessage, type ServerResponse } from 'node:http';
import { type Config } from '../config';

/** How long a browser may keep a preflight's answer before asking again (seconds). */
const PREFLIGHT_MAX_AGE = 600;

/**
 * CORS for /graphql (CORS_ORIGINS): pages of the origins named may call the API from a browser,
 * with any request headers (Authorization included: tokens travel in it, never in cookies, so
 * no credentials mode is offered). An origin not named gets no CORS headers, and its browser
 * keeps the answer from its page, as without CORS at all. The CSRF rule stands either way: a
 * JSON POST is never a "simple" request, so it always comes after a preflight.
 */
export class Cors {
  constructor(private readonly origins: Config['corsOrigins']) {}

  /**
   * Adds the CORS headers an answer to `request` needs; true when the request was a preflight,
   * now answered (204).
   */
  handle(request: IncomingMessage, response: ServerResponse): boolean {
    const any = this.origins === '*';
    if (!any && this.origins.size === 0) return false; // same origin only: no CORS headers at all
    // Granted to some origins only, the answer depends on Origin: a cache must not hand one
    // origin's answer to another.
    if (!any) response.setHeader('vary', 'Origin');
    const origin = request.headers.origin;
    if (origin === undefined || (!any && !this.origins.has(origin))) return false;
    response.setHeader('access-control-allow-origin', any ? '*' : origin);
    const preflight =
      request.method === 'OPTIONS' &&
      request.headers['access-control-request-method'] !== undefined;
    if (!preflight) {
      response.setHeader('access-control-expose-headers', 'x-request-id');
      return false;
    }
    response.setHeader('access-control-allow-methods', 'GET, POST');
    const asked = request.headers['access-control-request-headers'];
    if (asked) response.setHeader('access-control-allow-headers', asked);
    response.setHeader('access-control-max-age', PREFLIGHT_MAX_AGE);
    response.statusCode = 204;
    response.end();
    return true;
  }
}
