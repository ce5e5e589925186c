import type { CookieOptions, Response } from 'express';
import type { SessionOptions, Store } from 'express-session';
import type { Logger } from '../lib/logger';
import type { SessionStoreOptions } from '../sessions';
import { driverOptions, expireDocuments } from '../db';
import type { Config } from './env';

type SessionConfig = Pick<Config, 'sessionCookieName' | 'SESSION_SECRET' | 'SESSION_MAX_AGE' | 'isProduction'>;

function cookieOptions(config: SessionConfig): CookieOptions {
  return {
    path: '/',
    httpOnly: true,
    sameSite: 'lax',
    // Behind a proxy this needs TRUST_PROXY so that express sees the request as HTTPS; without
    // HTTPS no cookie is set at all (and so nobody is logged in).
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
    // Send the cookie with every response, so that the browser's expiry moves with activity too
    // (SESSION_MAX_AGE is an idle timeout). This writes nothing to the store.
    rolling: true,
    // Don't store a session (or set a cookie) until something is put in it.
    saveUninitialized: false,
    cookie: { ...cookieOptions(config), maxAge: config.SESSION_MAX_AGE * 1000 },
  };
}

/** Clears the session cookie with the same name, path and flags it was set with. */
export function clearSessionCookie(res: Response, config: SessionConfig): void {
  res.clearCookie(config.sessionCookieName, cookieOptions(config));
}

/** The session store's options, from the same configuration (seconds become milliseconds). */
export function sessionStoreOptions(config: Config, uri: string, logger: Logger): SessionStoreOptions {
  return {
    uri,
    maxAgeMs: config.SESSION_MAX_AGE * 1000,
    touchIntervalMs: config.SESSION_TOUCH_INTERVAL * 1000,
    absoluteTtlMs: config.SESSION_ABSOLUTE_TTL * 1000,
    connectionOptions: driverOptions(config),
    expireSessions: (collection) => expireDocuments(collection, 'expires'),
    logger,
  };
}
