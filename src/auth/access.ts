import type { Request, RequestHandler } from 'express';
import { HttpError } from '../lib/HttpError';
import type { UserDocument } from '../models/User';
import { saveSession } from '../lib/requestSession';

/** Only a same-site path may be a return-to target: "//evil.example", "https://…", "/\evil" are not. */
export function safeReturnTo(target: unknown): string {
  if (typeof target !== 'string') return '/';
  if (!target.startsWith('/') || target.startsWith('//') || target.includes('\\')) return '/';
  // Control characters (a smuggled CR/LF or tab) never belong in a path we redirect to.
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f]/.test(target)) return '/';
  return target;
}

/** Sends anonymous visitors to the login page, remembering where they were going. */
export const requireAuth: RequestHandler = async (req, res, next) => {
  if (req.user) return next();
  if (req.method === 'GET') {
    req.session.returnTo = safeReturnTo(req.originalUrl);
    await saveSession(req);
  }
  res.redirect('/login');
};

/**
 * Like `requireAuth`, but returns to `path` after the login whatever was asked for: "Log in to
 * check out" (`GET /checkout`) comes back to the cart.
 */
export const requireAuthReturningTo =
  (path: string): RequestHandler =>
  async (req, res, next) => {
    if (req.user) return next();
    req.session.returnTo = safeReturnTo(path);
    await saveSession(req);
    res.redirect('/login');
  };

/** For the login and signup pages: a visitor who is logged in already goes to the home page. */
export const redirectSignedIn: RequestHandler = (req, res, next) => {
  if (req.user) return res.redirect('/');
  next();
};

/** The signed-in user of a request that passed `requireAuth` (anything else is a routing bug: 500). */
export function signedInUser(req: Request): UserDocument {
  if (!req.user) throw new Error(`${req.method} ${req.path} needs requireAuth before its handler`);
  return req.user;
}

/** After requireAuth: the shop's staff only. A customer gets a friendly 403 page. */
export const requireAdmin: RequestHandler = (req, _res, next) => {
  if (signedInUser(req).role !== 'admin') throw new HttpError(403, 'This part of the shop is for its staff only.');
  next();
};
