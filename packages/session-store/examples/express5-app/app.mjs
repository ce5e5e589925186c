// @fernhill/session-store in a tiny Express 5 app: log in on several devices, list your sessions,
// revoke one, log out. `node app.mjs` serves it on PORT (3000 unless given); `buildApp` builds it
// for a test. No passwords, CSRF protection or HTTPS: see README.md.
import { randomBytes } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import express from 'express';
import session from 'express-session';
import { MongoClient } from 'mongodb';
import { openSessionStore } from '@fernhill/session-store';

/** Calls a callback-taking method of express-session's and awaits it. */
const settled = (call) => new Promise((resolve, reject) => call((err) => (err ? reject(err) : resolve())));

/** The app on `client` (the store runs on it and never connects or closes it), and its store. */
export async function buildApp({ client, secret, idHashSecret }) {
  const store = await openSessionStore({
    client,
    maxAgeMs: 30 * 60 * 1000, // idle timeout
    // The store deletes expired sessions itself, every minute: our test servers (FerretDB,
    // mongo-java-server) have no TTL monitor. On MongoDB leave `expiry` out: the default, a TTL
    // index, is the choice there.
    expiry: { sweepEveryMs: 60_000 },
    idHashSecret, // keys documents, and so the listed handles, by an HMAC: never the session id
    userIdField: 'userId',
    listedFields: ['userAgent'],
  });
  const app = express();
  app.use(express.urlencoded({ extended: false }));
  app.use(
    session({ name: 'sid', secret, store, resave: false, saveUninitialized: false, cookie: { sameSite: 'lax' } }),
  );

  const signedIn = (req, res, next) => (req.session.userId ? next() : res.status(401).json({ error: 'not logged in' }));

  app.post('/login', async (req, res) => {
    const user = typeof req.body?.user === 'string' ? req.body.user.trim() : '';
    if (!user) return res.status(400).json({ error: 'the form field user is required' });
    // A new session id at login (no session fixation); then the user and what the listing shows.
    await settled((done) => req.session.regenerate(done));
    req.session.userId = user;
    req.session.userAgent = req.get('user-agent') ?? 'unknown';
    await settled((done) => req.session.save(done));
    res.json({ userId: user });
  });

  app.get('/me', signedIn, (req, res) => res.json({ userId: req.session.userId }));

  // The user's live sessions, most recently active first, this one marked `current`.
  app.get('/sessions', signedIn, async (req, res) => {
    const current = store.handleOf(req.sessionID);
    const sessions = await store.sessionsOfUser(req.session.userId);
    res.json(sessions.map((listed) => ({ ...listed, current: listed.handle === current })));
  });

  // Ends one of the user's sessions (a lost phone); a handle of another user's session ends nothing.
  app.post('/sessions/:handle/revoke', signedIn, async (req, res) => {
    const ended = await store.destroySessionOfUser(req.session.userId, req.params.handle);
    res.status(ended ? 204 : 404).end();
  });

  app.post('/logout', async (req, res) => {
    await settled((done) => req.session.destroy(done));
    res.clearCookie('sid').status(204).end();
  });

  return { app, store };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const client = new MongoClient(process.env.MONGODB_URI ?? 'mongodb://127.0.0.1:27017/session-store-example');
  const { app, store } = await buildApp({
    client,
    // Random ones end every session on a restart: set both in production, and keep them apart.
    secret: process.env.SESSION_SECRET ?? randomBytes(32).toString('hex'),
    idHashSecret: process.env.SESSION_ID_HASH_SECRET ?? randomBytes(32).toString('hex'),
  });
  const server = app.listen(Number(process.env.PORT ?? 3000), (err) => {
    if (err) throw err;
    console.log(`listening on http://localhost:${server.address().port}`);
  });
  const stop = () => server.close(() => store.close().finally(() => client.close()));
  process.once('SIGTERM', stop).once('SIGINT', stop);
}
