import type { CookieOptions, RequestHandler, Response } from 'express';
import type { SessionOptions, Store } from 'express-session';
import type { Logger } from '../lib/logger';
import type { ClientSource, SessionStoreOptions } from '@fernhill/session-store';
import { expireDocuments } from '../db';
import type { Config } from './env';

type SessionConfig = Pick<Config, 'sessionCookieName' | 'SESSION_SECRET' | 'isProduction'>;

/** The flags of every cookie the shop sets (session, CSRF, device). */
export function cookieOptions(config: Pick<Config, 'isProduction'>): CookieOptions {
  return {
    path: '/',
    httpOnly: true,
    sameSite: 'lax',
    // Behind a proxy this needs TRUST_PROXY so that express sees the request as HTTPS: express-session
    // sends its Secure cookie only then (so without HTTPS nobody stays logged in). The other
    // cookies (CSRF, device) are sent anyway, and a browser keeps them only over HTTPS.
    secure: config.isProduction,
  };
}

/** express-session's options: every cookie and persistence rule in one place. */
export function sessionOptions(config: SessionConfig, store: Store): SessionOptions {
  return {
    store,
    name: config.sessionCookieName,
    secret: config.SESSION_SECRET,
    // Don't write an unmodified session back on every request: the store's touch() moves its
    // expiry instead, at most once per SESSION_TOUCH_INTERVAL.
    resave: false,
    // Send the cookie with every response, so that a guest cookie's expiry (see guestSessionTimeout)
    // moves with activity. This writes nothing to the store.
    rolling: true,
    // Don't store a session (or set a cookie) until something is put in it.
    saveUninitialized: false,
    // No maxAge: a login lives in a browser-session cookie. The idle timeout (SESSION_MAX_AGE) and
    // the absolute lifetime are the store's, enforced on the server.
    cookie: cookieOptions(config),
  };
}

/**
 * A session without a login (a guest cart, a message for the next page) gets its own, shorter idle
 * timeout: a cookie maxAge, which the store follows for the document's expiry. A login starts a
 * new session (regenerate) with the default browser-session cookie.
 */
export function guestSessionTimeout(config: Pick<Config, 'GUEST_SESSION_MAX_AGE'>): RequestHandler {
  const maxAge = config.GUEST_SESSION_MAX_AGE * 1000;
  return (req, _res, next) => {
    // express-session leaves the cookie out of its "modified" check: this stores nothing by itself.
    if (!req.session.isLoggedIn) req.session.cookie.maxAge = maxAge;
    next();
  };
}

/** A device cookie (auth/deviceCookie.ts) lasts a year; only the login form's post reads it. */
export function deviceCookieOptions(config: Pick<Config, 'isProduction'>): CookieOptions {
  return { ...cookieOptions(config), sameSite: 'strict', maxAge: 365 * 24 * 60 * 60 * 1000 };
}

/** The remember-me cookie lasts REMEMBER_ME_DAYS, the token's own lifetime. */
export function rememberCookieOptions(config: Pick<Config, 'isProduction' | 'REMEMBER_ME_DAYS'>): CookieOptions {
  return { ...cookieOptions(config), maxAge: config.REMEMBER_ME_DAYS * 86_400_000 };
}

/** Clears the session cookie with the same name, path and flags it was set with. */
export function clearSessionCookie(res: Response, config: SessionConfig): void {
  res.clearCookie(config.sessionCookieName, cookieOptions(config));
}

/** Where the shop's sessions keep their user (SessionData's `user`): the store's per-user queries use it. */
export const SESSION_USER_ID_FIELD = 'user._id';

/** What the account page shows of each of a user's sessions, as stored at login (auth/signIn.ts). */
export const LISTED_SESSION_FIELDS = ['userAgent', 'place', 'signedInWith', 'signInMethods'] as const;
export type ListedSessionField = (typeof LISTED_SESSION_FIELDS)[number];

/**
 * The session store's options, from the same configuration (seconds become milliseconds). The
 * store runs on `client`, the app's (mongoose's connection): one driver, one pool, the database
 * module's timeouts.
 */
export function sessionStoreOptions(
  config: Config,
  client: ClientSource,
  logger: Logger,
): SessionStoreOptions<ListedSessionField> {
  return {
    client,
    maxAgeMs: config.SESSION_MAX_AGE * 1000,
    touchIntervalMs: config.SESSION_TOUCH_INTERVAL * 1000,
    absoluteTtlMs: config.SESSION_ABSOLUTE_TTL * 1000,
    expiry: (collection, { afterSeconds }) => expireDocuments(collection, 'expires', { afterSeconds }),
    logger,
    idHashSecret: config.SESSION_ID_HASH_SECRET,
    // The session data sealed at rest (a dump shows no email, cart or user agent); the same keys
    // as the authenticator keys, under a key derivation of the store's own.
    encryptionKeys: config.DATA_ENCRYPTION_KEY,
    userIdField: SESSION_USER_ID_FIELD,
    listedFields: LISTED_SESSION_FIELDS,
  };
}
