import type { Request, RequestHandler } from 'express';
import { csrfSync } from 'csrf-sync';

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
 * A visitor who was never given a token (someone who has only browsed: product pages offer
 * "Add to cart" without creating a session) may post only from our own pages. Everyone else
 * needs the synchronizer token.
 */
const hasNoTokenYet = (req: Request) => req.session.csrfToken === undefined && !req.session.isLoggedIn;

// Synchronizer tokens kept in the session (csurf is deprecated). The token travels in the hidden
// form field `_csrf`; an array or object there is simply not a valid token.
const { csrfSynchronisedProtection, generateToken, getTokenFromState } = csrfSync({
  getTokenFromRequest: (req) => {
    const token: unknown = req.body?._csrf;
    return typeof token === 'string' ? token : undefined;
  },
  skipCsrfProtection: (req) => hasNoTokenYet(req) && isSameOrigin(req),
});

export const csrfProtection = csrfSynchronisedProtection;

/**
 * Gives views `csrfToken()`, which creates the token (and so the session) for forms that must
 * have one, and `csrfTokenIfIssued()`, for forms that also work without (see hasNoTokenYet), so
 * that browsing the shop sets no cookie.
 */
export const exposeCsrfToken: RequestHandler = (req, res, next) => {
  res.locals.csrfToken = () => generateToken(req);
  res.locals.csrfTokenIfIssued = () => getTokenFromState(req) ?? '';
  next();
};
