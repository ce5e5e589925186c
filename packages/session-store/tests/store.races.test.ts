/**
 * The store's contract under races, with the interleavings forced (a write held until released):
 * an ended session stays ended whatever a request in flight writes, and logins of one user at the
 * same moment stay under the per-user cap, keeping the newest.
 */
import express from 'express';
import session from 'express-session';
import request from 'supertest';
import type { MongoSessionStore } from '../src';
import { useControlledClock } from './support/clock';
import { newSid, sessionData, useTestStore } from './support/store';

const testStore = useTestStore();
const clock = useControlledClock();
const ann = { _id: 'ann-id', email: 'ann@example.com' };

/** Holds the store's next call of `method` until released, and says when it started. */
function holdNext<M extends 'set' | 'deleteMany'>(
  target: M extends 'set' ? MongoSessionStore<string> : object,
  method: M,
) {
  let release = () => {};
  const released = new Promise<void>((resolve) => (release = resolve));
  let started = () => {};
  const reached = new Promise<void>((resolve) => (started = resolve));
  const real = (target as Record<string, (...args: unknown[]) => unknown>)[method]!.bind(target);
  const spy = jest
    .spyOn(target as Record<string, (...args: unknown[]) => unknown>, method)
    .mockImplementationOnce((...args: unknown[]) => {
      started();
      return released.then(() => real(...args));
    });
  return { reached, release, restore: () => spy.mockRestore() };
}

describe('a session ended while one of its requests is in flight', () => {
  /** A minimal app: a login, a page that changes the session (so it is saved at the end), a logout. */
  function appOn(store: MongoSessionStore<string>) {
    const app = express();
    app.use(session({ store, secret: 'races test secret', resave: false, saveUninitialized: false, name: 'sid' }));
    app.post('/login', (req, res, next) =>
      req.session.regenerate((err) => {
        if (err) return next(err);
        req.session.user = ann;
        req.session.save((saveErr) => (saveErr ? next(saveErr) : res.sendStatus(204)));
      }),
    );
    app.get('/visit', (req, res) => {
      if (!req.session.user) return res.sendStatus(401);
      req.session.returnTo = `/visited-${Date.now()}`;
      res.sendStatus(200);
    });
    app.post('/logout', (req, res, next) => req.session.destroy((err) => (err ? next(err) : res.sendStatus(204))));
    return app;
  }

  it.each([
    [
      'a logout in another tab',
      (cookie: string, app: express.Express) => request(app).post('/logout').set('Cookie', cookie),
    ],
    [
      'a revocation of all the user’s sessions',
      (_cookie: string, _app: express.Express, store: MongoSessionStore<string>) =>
        store.destroySessionsOfUser(ann._id),
    ],
  ])('stays ended after %s', async (_name, end) => {
    const { store, raw } = testStore();
    const app = appOn(store);
    const login = await request(app).post('/login').expect(204);
    const cookie = String(login.headers['set-cookie']).split(';')[0]!;
    expect(await raw.countDocuments()).toBe(1);

    const held = holdNext(store, 'set');
    try {
      const visit = request(app)
        .get('/visit')
        .set('Cookie', cookie)
        .then((response) => response);
      await held.reached;
      await end(cookie, app, store);
      expect(await raw.countDocuments()).toBe(0);
      held.release();
      expect((await visit).status).toBe(200);
    } finally {
      held.restore();
    }

    expect(await raw.countDocuments()).toBe(0);
    expect((await request(app).get('/visit').set('Cookie', cookie)).status).toBe(401);
  });
});

describe('logins of one user at the same moment, each capping the user’s sessions', () => {
  it('keep the newest: a cap that read fewer sessions and deletes late ends none of them', async () => {
    const { store, api } = testStore();
    const logins = [newSid(), newSid(), newSid(), newSid(), newSid()];
    const login = async (sid: string) => {
      clock.advance(10);
      await api.set(sid, sessionData({ isLoggedIn: true, user: ann }));
    };
    for (const sid of logins.slice(0, 3)) await login(sid);

    // The third login's cap reads three sessions, and its delete is held.
    const held = holdNext(store.collection, 'deleteMany');
    const stale = store.endLeastRecentSessionsOfUser(ann._id, 2);
    await held.reached;
    // Two more logins, whose caps read all five and end the three oldest.
    for (const sid of logins.slice(3)) await login(sid);
    const caps = await Promise.all(logins.slice(3).map(() => store.endLeastRecentSessionsOfUser(ann._id, 2)));
    expect(caps.reduce((a, b) => a + b)).toBe(3);
    held.release();
    expect(await stale).toBe(0);
    held.restore();

    const kept = (await store.sessionsOfUser(ann._id)).map(({ handle }) => handle);
    expect(kept).toEqual([logins[4], logins[3]]);
  });

  it('leave at most the cap when they all run at once', async () => {
    const { store, api } = testStore();
    const logins = Array.from({ length: 6 }, newSid);
    await Promise.all(
      logins.map(async (sid) => {
        await api.set(sid, sessionData({ isLoggedIn: true, user: ann }));
        await store.endLeastRecentSessionsOfUser(ann._id, 2);
      }),
    );
    expect(await store.sessionsOfUser(ann._id)).toHaveLength(2);
  });
});
