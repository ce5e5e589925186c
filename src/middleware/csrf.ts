import type { Request, RequestHandler } from 'express';
import { doubleCsrf } from 'csrf-csrf';
import type { Config } from '../config/env';
import { cookieOptions } from '../config/session';

/**
 * Whether the browser says this request comes from our own pages: Fetch Metadata where the
 * browser sends it (all current ones do), else the Origin header. Other sites cannot forge either.
 */
function isSameOrigin(req: Request): boolean {
  const site = req.get('sec-fetch-site');
  if (site) return site === 'same-origin';
  const origin = req.get('origin');
  return origin !== undefined && origin === `${req.protocol}://${req.get('host')}`;
}

/** How a route that changes something is protected: routes declare it where they are defined. */
export type CsrfMode = 'token' | 'tokenless-from-own-pages';

/** Marks the checks, so that a test can prove every state-changing route declares one. */
export const CSRF_MODE = Symbol('csrf mode');

export type CsrfCheck = RequestHandler & { [CSRF_MODE]: CsrfMode };

export interface CsrfMiddleware {
  /**
   * A route's check, listed first among its handlers (after the parser of a multipart body, whose
   * token is in that body): a state-changing request without a valid token gets 403.
   * `tokenless-from-own-pages` ("Add to cart" on product pages, which are shown without setting
   * any cookie) also accepts a visitor who holds neither a login nor a CSRF cookie, and only from
   * our own pages (a cross-site post is refused).
   */
  check: (mode?: CsrfMode) => CsrfCheck;
  /** Gives views `csrfToken()` and `csrfTokenIfIssued()`. */
  exposeToken: RequestHandler;
}

/**
 * Signed double-submit tokens (csrf-csrf): the token is an HMAC (keyed by SESSION_SECRET) of a
 * random value and, once logged in, the session id; the same token sits in an HttpOnly cookie and
 * in the form's `_csrf` field, and both must match. Nothing is stored, so opening a form creates
 * no session. A login's tokens die with its session id (a new id at login, none after logout).
 */
export function csrfMiddleware(
  config: Pick<Config, 'SESSION_SECRET' | 'csrfCookieName' | 'isProduction'>,
): CsrfMiddleware {
  const cookieName = config.csrfCookieName;
  const hasCookie = (req: Request) => typeof req.cookies?.[cookieName] === 'string';

  const { doubleCsrfProtection, generateCsrfToken } = doubleCsrf({
    getSecret: () => config.SESSION_SECRET,
    getSessionIdentifier: (req) => (req.session?.isLoggedIn ? req.sessionID : ''),
    cookieName,
    cookieOptions: { ...cookieOptions(config), sameSite: 'strict' },
    // Our flat form parsing: an array or object in `_csrf` (a repeated key, JSON) is no token.
    getCsrfTokenFromRequest: (req) => {
      const token: unknown = (req.body as Record<string, unknown> | undefined)?._csrf;
      return typeof token === 'string' ? token : undefined;
    },
  });
  const tokenlessVisitor = (req: Request) => !req.session?.isLoggedIn && !hasCookie(req) && isSameOrigin(req);

  const exposeToken: RequestHandler = (req, res, next) => {
    let issued: string | undefined;
    // Once per response: each call would otherwise add another Set-Cookie header.
    const csrfToken = () => (issued ??= generateCsrfToken(req, res));
    res.locals.csrfToken = csrfToken;
    // For forms that also work without a token (tokenless-from-own-pages): a page a visitor merely browses
    // sets no cookie.
    res.locals.csrfTokenIfIssued = () => issued ?? (req.session?.isLoggedIn || hasCookie(req) ? csrfToken() : '');
    next();
  };

  const check = (mode: CsrfMode = 'token'): CsrfCheck => {
    const handler: RequestHandler =
      mode === 'token'
        ? doubleCsrfProtection
        : (req, res, next) => (tokenlessVisitor(req) ? next() : doubleCsrfProtection(req, res, next));
    return Object.assign((...args: Parameters<RequestHandler>) => handler(...args), { [CSRF_MODE]: mode });
  };

  return { check, exposeToken };
}
