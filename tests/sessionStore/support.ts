/** What the shop's tests of its session store (on the app) need: its documents, and a cookie's session id. */
import { Cookie, type SessionData } from 'express-session';
import type { SessionDocument } from '@fernhill/session-store';
import mongoose from 'mongoose';
import { sessionCookie, sessionIdFrom, type Agent } from '../helpers/http';

/** The `sessions` collection of the app's database (mongoose's connection). */
export const appSessions = () => mongoose.connection.collection<SessionDocument>('sessions');

/** The session id of an agent's signed cookie. */
export function sidOf(agent: Agent): string {
  const sid = sessionIdFrom(sessionCookie(agent));
  if (!sid) throw new Error('no signed session cookie');
  return sid;
}

// @types/express-session leaves out the constructor's options argument.
const CookieOf = Cookie as unknown as new (options: { maxAge: number; path: string }) => Cookie;

/** Session data as express-session hands it to the store. */
export const sessionData = (fields: Partial<SessionData>): SessionData =>
  ({ cookie: new CookieOf({ maxAge: 60_000, path: '/' }), ...fields }) as SessionData;
