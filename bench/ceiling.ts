/**
 * The ceilings the shop's logged-in page (S2) is compared with, in the same run, on the same
 * server: bare Express handlers that do the page's database work and nothing else (no helmet, no
 * logging, no CSRF, no template).
 *
 * - `session+user`: the session read (the store's `get`, as express-session calls it, after the
 *   cookie's signature check) and the user read (`User.findById`, as loadCurrentUser does).
 * - `page queries`: those two, then the product page's two queries (`productPage`: the page of
 *   products and `estimatedDocumentCount`, side by side). The cart count needs no query (it is in
 *   the user document). That is every command the logged-in /products sends (the probe in the
 *   report counts them: 1 session read, 1 user read, 2 product reads).
 *
 * Each answers a few bytes of JSON. The shop's rate divided by a ceiling's is the share of the
 * database-bound maximum that the shop's own work (middleware, rendering, logging) leaves.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import express, { type Express, type RequestHandler } from 'express';
import type { SessionData, Store } from 'express-session';
import type { Config } from '../src/config/env';
import { User } from '../src/models/User';
import { productPage } from '../src/services/products';

export const CEILINGS = {
  'session+user': 'bare handler: session read + user read',
  'page queries': 'bare handler: session, user and the page’s two product queries',
} as const;
export type CeilingName = keyof typeof CEILINGS;

/** The session id of a signed cookie value (`s:<id>.<signature>`, cookie-signature's format). */
function unsign(value: string, secrets: readonly string[]): string | undefined {
  if (!value.startsWith('s:')) return undefined;
  const dot = value.lastIndexOf('.');
  const id = value.slice(2, dot);
  const given = Buffer.from(value.slice(dot + 1));
  for (const secret of secrets) {
    const expected = Buffer.from(createHmac('sha256', secret).update(id).digest('base64').replace(/=+$/, ''));
    if (expected.length === given.length && timingSafeEqual(expected, given)) return id;
  }
  return undefined;
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const pair of header?.split(/;\s*/) ?? []) {
    const eq = pair.indexOf('=');
    if (pair.slice(0, eq) === name) return decodeURIComponent(pair.slice(eq + 1));
  }
  return undefined;
}

const sessionOf = (store: Store, id: string) =>
  new Promise<SessionData | null | undefined>((resolve, reject) =>
    store.get(id, (err: unknown, data?: SessionData | null) =>
      err ? reject(err instanceof Error ? err : new Error(String(err))) : resolve(data),
    ),
  );

export function ceilingApp(name: CeilingName, config: Config, store: Store): Express {
  const app = express();
  const handler: RequestHandler = async (req, res) => {
    const cookie = cookieValue(req.get('cookie'), config.sessionCookieName);
    const id = cookie === undefined ? undefined : unsign(cookie, config.SESSION_SECRET);
    const session = id === undefined ? undefined : await sessionOf(store, id);
    const user = session?.user ? await User.findById(session.user._id) : null;
    if (!user) {
      res.status(401).json({ user: null });
      return;
    }
    if (name === 'session+user') {
      res.json({ user: user.email, cart: user.cart.items.length });
      return;
    }
    const page = await productPage(1, config.PRODUCTS_PER_PAGE);
    res.json({ user: user.email, cart: user.cart.items.length, products: page.items.length, pages: page.pageCount });
  };
  app.get('/products', handler);
  return app;
}
