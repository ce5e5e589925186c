/**
 * The logged-in page: a minimal express + express-session app on one store, driven by autocannon
 * in this process. Each connection logs in once (POST /login puts a user in its session), then
 * GET /page reads that user back: a load of the session and, when the store has one, its touch
 * (which writes at most once per touch interval).
 */
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';
import express from 'express';
import session, { type SessionData, type Store } from 'express-session';

/**
 * A session as the bench fills it. Not declared on express-session's SessionData: the package's
 * tests share this program and keep other fields of their own.
 */
export type BenchSession = SessionData & {
  userId?: string;
  csrfSecret?: string;
  cart?: { productId: string; quantity: number }[];
};

export interface PageResult {
  rps: number;
  p50: number;
  p99: number;
}

function pageApp(store: Store, maxAgeMs: number) {
  const app = express();
  app.use(
    session({
      store,
      secret: 'session-store-bench',
      resave: false,
      saveUninitialized: false,
      cookie: { maxAge: maxAgeMs },
    }),
  );
  app.post('/login', (req, res) => {
    (req.session as BenchSession).userId = String(req.query.user);
    res.send('logged in');
  });
  app.get('/page', (req, res) => {
    const { userId } = req.session as BenchSession;
    if (!userId) res.status(401).send('not logged in');
    else res.send(`<p>Hello ${userId}</p>`);
  });
  return app;
}

/** Logs a user in; resolves to the `name=value` of its session cookie. */
async function logIn(base: string, user: string): Promise<string> {
  const response = await fetch(`${base}/login?user=${user}`, { method: 'POST' });
  // express-session sends the headers at once and ends the body once the session is saved.
  await response.text();
  const cookie = response.headers.getSetCookie()[0]?.split(';')[0];
  if (!response.ok || !cookie) throw new Error(`POST /login answered ${response.status} without a session cookie`);
  return cookie;
}

/**
 * `amount` requests of GET /page, each connection with its own logged-in cookie; throws unless all
 * answered 200. Its rate is timed to the last answer: autocannon's duration ends at a sample.
 */
async function cannon(base: string, cookies: string[], amount: number): Promise<PageResult> {
  let clients = 0;
  const start = performance.now();
  let last = start;
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url: `${base}/page`,
        connections: cookies.length,
        amount,
        timeout: 30,
        // Samples of 10 ms, not 1 s: it stops at the first after the last answer.
        sampleInt: 10,
        setupClient: (client) => client.setHeaders({ cookie: cookies[clients++ % cookies.length] }),
      },
      (err, done) => (err ? reject(err) : resolve(done)),
    );
    instance.on('response', () => (last = performance.now()));
  });
  const failed = result.non2xx + result.errors + result.timeouts;
  if (failed > 0) {
    const statuses = Object.entries(result.statusCodeStats ?? {}).map(([code, { count }]) => `${count ?? 0} × ${code}`);
    const answers = [...statuses, `${result.errors} errors`, `${result.timeouts} timeouts`].join(', ');
    throw new Error(`${failed} of ${amount} GET /page failed (${answers})`);
  }
  return { rps: (result.requests.total * 1000) / (last - start), p50: result.latency.p50, p99: result.latency.p99 };
}

export interface Page {
  /** `requests` requests of GET /page, from the logged-in connections. */
  measure(requests: number): Promise<PageResult>;
  close(): void;
}

/** Serves the page on `store` and logs `connections` users in, one per connection. */
export async function servePage(store: Store, maxAgeMs: number, connections: number): Promise<Page> {
  const server = pageApp(store, maxAgeMs).listen(0, '127.0.0.1');
  await once(server, 'listening');
  const close = () => {
    server.closeAllConnections();
    server.close();
  };
  try {
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const cookies = await Promise.all(Array.from({ length: connections }, (_, i) => logIn(base, `user-${i}`)));
    return {
      measure: (requests) => cannon(base, cookies, requests),
      close,
    };
  } catch (err) {
    close();
    throw err;
  }
}
