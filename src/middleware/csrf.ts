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

/**
 * The only form that works without a token: "Add to cart" on product pages, which are shown
 * without setting any cookie. It is accepted from a visitor who holds neither a login nor a CSRF
 * cookie, and only from our own pages (a cross-site post is refused).
 */
const TOKENLESS_FORMS = new Set(['POST /cart']);

/**
 * Forms sent as multipart (they carry a file): their token is in the multipart body, which only
 * their own route parses, after it checked who is asking. Their routes run `afterMultipart`
 * themselves, once the body is parsed and before anything is stored.
 */
export const MULTIPART_FORMS = new Set(['POST /admin/add-product', 'POST /admin/edit-product']);

export interface CsrfMiddleware {
  /** Refuses a state-changing request without a valid token (403); MULTIPART_FORMS are left to their routes. */
  protection: RequestHandler;
  /** The same check, for a route of MULTIPART_FORMS, placed after its multipart parser. */
  afterMultipart: RequestHandler;
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
    skipCsrfProtection: (req) =>
      TOKENLESS_FORMS.has(`${req.method} ${req.path}`) &&
      !req.session?.isLoggedIn &&
      !hasCookie(req) &&
      isSameOrigin(req),
  });

  const exposeToken: RequestHandler = (req, res, next) => {
    let issued: string | undefined;
    // Once per response: each call would otherwise add another Set-Cookie header.
    const csrfToken = () => (issued ??= generateCsrfToken(req, res));
    res.locals.csrfToken = csrfToken;
    // For forms that also work without a token (TOKENLESS_FORMS): a page a visitor merely browses
    // sets no cookie.
    res.locals.csrfTokenIfIssued = () => issued ?? (req.session?.isLoggedIn || hasCookie(req) ? csrfToken() : '');
    next();
  };

  const protection: RequestHandler = (req, res, next) =>
    MULTIPART_FORMS.has(`${req.method} ${req.path}`) ? next() : doubleCsrfProtection(req, res, next);

  return { protection, afterMultipart: doubleCsrfProtection, exposeToken };
}
