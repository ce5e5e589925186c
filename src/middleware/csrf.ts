import type { RequestHandler } from 'express';
import { csrfSync } from 'csrf-sync';

// Synchronizer tokens kept in the session (csurf is deprecated). The token travels in the hidden
// form field `_csrf`; an array or object there is simply not a valid token.
const { csrfSynchronisedProtection, generateToken } = csrfSync({
  getTokenFromRequest: (req) => {
    const token: unknown = req.body?._csrf;
    return typeof token === 'string' ? token : undefined;
  },
});

export const csrfProtection = csrfSynchronisedProtection;

/**
 * Gives views `csrfToken()`. It is a function so that only pages with a form create the token
 * (and so a session): anonymous browsing sets no cookie.
 */
export const exposeCsrfToken: RequestHandler = (req, res, next) => {
  res.locals.csrfToken = () => generateToken(req);
  next();
};
