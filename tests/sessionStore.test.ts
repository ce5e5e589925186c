import { setTimeout as sleep } from 'node:timers/promises';
import { Cookie, type Session, type SessionData } from 'express-session';
import type { Collection } from 'mongodb';
import mongoose from 'mongoose';
import request from 'supertest';
import { driverOptions, expireDocuments, sweepExpiredDocuments } from '../src/db';
import { ConfigError } from '../src/config/env';
import { createLogger } from '../src/lib/logger';
import {
  SessionStoreError,
  hashSessionId,
  openSessionStore,
  type MongoSessionStore,
  type SessionDocument,
} from '../src/sessions';
import {
  PASSWORD,
  csrfToken,
  loggedInAgent,
  sessionCookie,
  sessionIdFrom,
  uniqueEmail,
  type Agent,
} from './helpers/http';
import { itWhereServerLacks } from './helpers/server';
import { testConfig, uniqueDatabaseUri, useAppOn, useTestDatabase } from './helpers/testApp';

const database = useTestDatabase();
const sessions = () => mongoose.connection.collection<SessionDocument>('sessions');
const sessionDoc = (sid: string) => sessions().findOne({ _id: sid });
const sidOf = (agent: Agent): string => {
  const sid = sessionIdFrom(sessionCookie(agent));
  if (!sid) throw new Error('no signed session cookie');
  return sid;
};
const sleepUntil = (time: number) => sleep(Math.max(0, time - Date.now()));

/** The store's callback API as promises. */
function promised(store: MongoSessionStore) {
  const done =
    <T>(resolve: (value: T) => void, reject: (err: unknown) => void) =>
    (err: unknown, value?: T) =>
      err ? reject(err) : resolve(value as T);
  return {
    get: (sid: string) =>
      new Promise<SessionData | null | undefined>((resolve, reject) => store.get(sid, done(resolve, reject))),
    load: (sid: string) =>
      new Promise<(Session & SessionData) | undefined>((resolve, reject) =>
        store.load(sid, done(resolve as (value: unknown) => void, reject)),
      ),
    set: (sid: string, data: SessionData) =>
      new Promise<void>((resolve, reject) => store.set(sid, data, done(resolve, reject))),
    touch: (sid: string, data: SessionData) =>
      new Promise<void>((resolve, reject) => store.touch(sid, data, done(resolve, reject))),
    destroy: (sid: string) => new Promise<void>((resolve, reject) => store.destroy(sid, done(resolve, reject))),
    all: () =>
      new Promise<Record<string, SessionData> | null | undefined>((resolve, reject) =>
        store.all(done(resolve, reject)),
      ),
    length: () => new Promise<number | undefined>((resolve, reject) => store.length(done(resolve, reject))),
  };
}

// @types/express-session leaves out the constructor's options argument.
const CookieOf = Cookie as unknown as new (options: { maxAge: number; httpOnly: boolean; path: string }) => Cookie;

/** Session data as express-session hands it to the store. */
function sessionData(fields: Partial<SessionData> & Record<string, unknown> = {}, maxAgeMs = 60_000): SessionData {
  return { cookie: new CookieOf({ maxAge: maxAgeMs, httpOnly: true, path: '/' }), ...fields } as SessionData;
}

let counter = 0;
const newSid = () => `sid-${process.pid}-${Date.now()}-${(counter += 1)}`;

describe('configuration of the session lifetimes', () => {
  it('defaults to a 60 s touch interval and an 8 hour absolute lifetime', () => {
    const config = testConfig();
    expect(config.SESSION_TOUCH_INTERVAL).toBe(60);
    expect(config.SESSION_ABSOLUTE_TTL).toBe(28_800);
  });

  it.each([
    ['SESSION_TOUCH_INTERVAL', '0'],
    ['SESSION_TOUCH_INTERVAL', '1.5'],
    ['SESSION_ABSOLUTE_TTL', '-1'],
    ['SESSION_ABSOLUTE_TTL', 'eight hours'],
  ])('refuses %s=%s, naming the variable', (name, value) => {
    expect(() => testConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => testConfig({ [name]: value })).toThrow(name);
  });

  it('refuses a touch interval that is not shorter than the idle timeout', () => {
    expect(() => testConfig({ SESSION_MAX_AGE: '60', SESSION_TOUCH_INTERVAL: '60' })).toThrow(
      'SESSION_TOUCH_INTERVAL: must be less than SESSION_MAX_AGE',
    );
  });
});

describe('idle timeout with lazy touch', () => {
  const testApp = useAppOn(database, { SESSION_MAX_AGE: '60', SESSION_TOUCH_INTERVAL: '2' });

  it("moves an active session's expiry forward, writing at most once per touch interval", async () => {
    const { app, store } = testApp();
    const { agent } = await loggedInAgent(app);
    // The first page after login stores the navigation's CSRF token: a modification (set).
    await agent.get('/account').expect(200);
    const sid = sidOf(agent);
    const written = (await sessionDoc(sid))!;
    const writes = jest.spyOn(store.collection, 'updateOne');
    try {
      for (let i = 0; i < 3; i += 1) {
        const page = await agent.get('/account').expect(200);
        // rolling: the browser's cookie expiry moves on every response, with no store write.
        expect(String(page.headers['set-cookie'])).toMatch(/^shop\.sid=s%3A.+; Path=\/; Expires=/);
      }
      expect(Date.now()).toBeLessThan(written.lastModified.getTime() + 2000);
      expect(writes).not.toHaveBeenCalled();
      expect((await sessionDoc(sid))?.expires).toEqual(written.expires);

      await sleepUntil(written.lastModified.getTime() + 2100);
      for (let i = 0; i < 3; i += 1) await agent.get('/account').expect(200);
      expect(writes).toHaveBeenCalledTimes(1);
    } finally {
      writes.mockRestore();
    }
    const touched = (await sessionDoc(sid))!;
    expect(touched.expires.getTime()).toBeGreaterThanOrEqual(written.expires.getTime() + 2000);
    expect(touched.lastModified.getTime()).toBeGreaterThanOrEqual(written.lastModified.getTime() + 2000);
    expect(touched.createdAt).toEqual(written.createdAt);
    expect(new Date(touched.session.cookie.expires!)).toEqual(touched.expires);
    const { cookie: _before, ...dataBefore } = written.session;
    const { cookie: _after, ...dataAfter } = touched.session;
    expect(dataAfter).toEqual(dataBefore);
  });
});

describe('an idle session', () => {
  const testApp = useAppOn(database, { SESSION_MAX_AGE: '3', SESSION_TOUCH_INTERVAL: '1' });

  it('lasts while the user is active and ends once idle for longer than SESSION_MAX_AGE', async () => {
    const { app, store } = testApp();
    const { agent } = await loggedInAgent(app);
    const cookie = sessionCookie(agent);
    const sid = sidOf(agent);
    const loggedInAt = Date.now();
    // Active for longer than the idle timeout: the store's touch and the rolling cookie keep it.
    while (Date.now() - loggedInAt < 4000) {
      await agent.get('/account').expect(200);
      await sleep(300);
    }

    await sleep(3300);
    // The old cookie replayed, so that it is the server that says no (not the client's jar).
    const idle = await request(app).get('/account').set('Cookie', cookie);
    expect(idle.status).toBe(302);
    expect(idle.headers.location).toBe('/login');
    expect(await promised(store).get(sid)).toBeNull();
  });
});

describe('the absolute lifetime', () => {
  const testApp = useAppOn(database, { SESSION_ABSOLUTE_TTL: '3', SESSION_MAX_AGE: '60', SESSION_TOUCH_INTERVAL: '1' });

  it('ends a session however active the user is, and writes never move its creation time', async () => {
    const { app, store } = testApp();
    const { agent } = await loggedInAgent(app);
    const sid = sidOf(agent);
    const { createdAt } = (await sessionDoc(sid))!;
    const deadline = createdAt.getTime() + 3000;

    while (Date.now() < deadline - 600) {
      await agent.get('/account').expect(200);
      await sleep(250);
    }
    const beforeDeadline = (await sessionDoc(sid))!;
    expect(beforeDeadline.createdAt).toEqual(createdAt);
    expect(beforeDeadline.lastModified.getTime()).toBeGreaterThan(createdAt.getTime() + 1000);
    // The idle deadline (60 s on) is capped by the absolute one, so TTL indexes and sweeps see it.
    expect(beforeDeadline.expires.getTime()).toBe(deadline);

    await sleepUntil(deadline + 200);
    const after = await agent.get('/account');
    expect(after.status).toBe(302);
    expect(after.headers.location).toBe('/login');
    expect(await promised(store).get(sid)).toBeNull();
  });
});

describe('a logout racing a request that modifies the session', () => {
  const testApp = useAppOn(database);

  /** Holds the next session save until released, and says when it started. */
  function holdNextSave(store: MongoSessionStore) {
    let release = () => {};
    const released = new Promise<void>((resolve) => (release = resolve));
    let started = () => {};
    const saveStarted = new Promise<void>((resolve) => (started = resolve));
    const realSet = store.set.bind(store);
    const spy = jest.spyOn(store, 'set').mockImplementation((sid, data, callback) => {
      started();
      void released.then(() => realSet(sid, data, callback));
    });
    return { saveStarted, release, restore: () => spy.mockRestore() };
  }

  it('stays logged out after a logout in another tab (SECURITY.md fact 6)', async () => {
    const { app, store } = testApp();
    const { agent } = await loggedInAgent(app);
    const _csrf = await csrfToken(agent, '/account');
    // Signing up another account queues a flash message in this session; the next page consumes it,
    // which modifies the session and so saves it at the end of that request.
    await agent
      .post('/signup')
      .type('form')
      .send({ _csrf, email: uniqueEmail(), password: PASSWORD, confirmPassword: PASSWORD })
      .expect(302);
    const cookie = sessionCookie(agent);
    const sid = sidOf(agent);

    const held = holdNextSave(store);
    try {
      const slow = agent.get('/account').then((response) => response);
      await held.saveStarted;
      const logout = await request(app).post('/logout').set('Cookie', cookie).type('form').send({ _csrf });
      expect(logout.status).toBe(302);
      expect(await sessions().countDocuments({ _id: sid })).toBe(0);
      held.release();
      expect((await slow).status).toBe(200);
    } finally {
      held.restore();
    }

    expect(await sessions().countDocuments({ _id: sid })).toBe(0);
    const replayed = await request(app).get('/account').set('Cookie', cookie);
    expect(replayed.status).toBe(302);
    expect(replayed.headers.location).toBe('/login');
  });

  it('stays signed out after a sign-out everywhere', async () => {
    const { app, store } = testApp();
    const { agent, user } = await loggedInAgent(app);
    const cookie = sessionCookie(agent);
    const sid = sidOf(agent);

    const held = holdNextSave(store);
    try {
      // The first page after login creates the navigation's CSRF token: a modification, saved at the end.
      const slow = agent.get('/account').then((response) => response);
      await held.saveStarted;
      expect(await store.destroySessionsOfUser(user.id as string)).toBe(1);
      held.release();
      expect((await slow).status).toBe(200);
    } finally {
      held.restore();
    }

    expect(await sessions().countDocuments({ _id: sid })).toBe(0);
    expect((await request(app).get('/account').set('Cookie', cookie)).status).toBe(302);
    expect((await agent.get('/account')).status).toBe(302);
  });
});

describe('the store', () => {
  const uri = uniqueDatabaseUri();
  let store: MongoSessionStore;
  let api: ReturnType<typeof promised>;
  const ABSOLUTE_TTL_MS = 60 * 60 * 1000;

  beforeAll(async () => {
    store = await openSessionStore({
      uri,
      maxAgeMs: 60_000,
      touchIntervalMs: 1000,
      absoluteTtlMs: ABSOLUTE_TTL_MS,
      connectionOptions: driverOptions(testConfig()),
      expireSessions: (collection) => expireDocuments(collection, 'expires'),
      logger: createLogger('silent'),
    });
    api = promised(store);
  });
  afterAll(async () => {
    await store.db.dropDatabase().catch(() => {});
    await store.close();
  });
  beforeEach(async () => {
    await store.collection.deleteMany({});
  });
  const raw = () => store.collection as unknown as Collection<SessionDocument>;

  it('keeps its bookkeeping in the document, never in the session the app sees', async () => {
    const sid = newSid();
    await api.set(sid, sessionData({ isLoggedIn: true, user: { _id: 'u1', email: 'a@example.com' } }));

    const doc = (await raw().findOne({ _id: sid }))!;
    expect(doc.createdAt).toBeInstanceOf(Date);
    expect(doc.lastModified).toBeInstanceOf(Date);
    expect(Object.keys(doc.session).sort()).toEqual(['cookie', 'isLoggedIn', 'user']);

    const data = (await api.get(sid))!;
    expect(Object.keys(data).sort()).toEqual(['cookie', 'isLoggedIn', 'user']);
    const loaded = (await api.load(sid))!;
    expect(JSON.stringify(loaded)).not.toMatch(/createdAt|lastModified|writtenAt/);
    await api.set(sid, loaded);
    expect(Object.keys((await raw().findOne({ _id: sid }))!.session).sort()).toEqual(['cookie', 'isLoggedIn', 'user']);
  });

  it('records the creation time on insert only', async () => {
    const sid = newSid();
    await api.set(sid, sessionData({ isLoggedIn: true }));
    const inserted = (await raw().findOne({ _id: sid }))!;
    await sleep(30);
    const loaded = (await api.load(sid))!;
    loaded.returnTo = '/account';
    await api.set(sid, loaded);

    const updated = (await raw().findOne({ _id: sid }))!;
    expect(updated.createdAt).toEqual(inserted.createdAt);
    expect(updated.lastModified.getTime()).toBeGreaterThan(inserted.lastModified.getTime());
    expect(updated.session.returnTo).toBe('/account');
  });

  it('touches lazily: no write within the touch interval, one after it', async () => {
    const sid = newSid();
    await api.set(sid, sessionData({ isLoggedIn: true }));
    const writes = jest.spyOn(store.collection, 'updateOne');
    try {
      const fresh = (await api.load(sid))!;
      fresh.touch();
      await api.touch(sid, fresh);
      expect(writes).not.toHaveBeenCalled();

      await sleep(1100);
      const stale = (await api.load(sid))!;
      stale.touch();
      await api.touch(sid, stale);
      await api.touch(sid, stale);
      expect(writes).toHaveBeenCalledTimes(1);
      expect((await raw().findOne({ _id: sid }))!.expires).toEqual(stale.cookie.expires);
    } finally {
      writes.mockRestore();
    }
  });

  it('refuses, and deletes, a session past its idle expiry or its absolute lifetime', async () => {
    const idle = newSid();
    const old = newSid();
    const legacy = newSid();
    const now = Date.now();
    await raw().insertMany([
      {
        _id: idle,
        session: sessionData(),
        expires: new Date(now - 1),
        createdAt: new Date(now - 1000),
        lastModified: new Date(now - 1000),
      },
      {
        _id: old,
        session: sessionData(),
        expires: new Date(now + 60_000),
        createdAt: new Date(now - ABSOLUTE_TTL_MS - 1),
        lastModified: new Date(now),
      },
    ]);
    // Written by connect-mongodb-session itself: no creation time, so no way to honour the lifetime.
    await store.collection.insertOne({ _id: legacy as never, session: sessionData(), expires: new Date(now + 60_000) });

    for (const sid of [idle, old, legacy]) expect(await api.get(sid)).toBeNull();
    for (let tries = 0; tries < 20 && (await raw().countDocuments()) > 0; tries += 1) await sleep(50);
    expect(await raw().countDocuments()).toBe(0);
  });

  it('drops a late write of a destroyed session instead of bringing it back', async () => {
    const sid = newSid();
    await api.set(sid, sessionData({ isLoggedIn: true, user: { _id: 'u1', email: 'a@example.com' } }));
    // What express-session holds for a request in flight: the session as loaded from the store.
    const inFlight = (await api.load(sid))!;
    inFlight.returnTo = '/orders';

    await api.destroy(sid);
    inFlight.touch();
    await expect(api.set(sid, inFlight)).resolves.toBeUndefined();
    await expect(api.touch(sid, inFlight)).resolves.toBeUndefined();

    expect(await api.get(sid)).toBeNull();
    expect(await raw().countDocuments({ _id: sid })).toBe(0);
  });

  it('drops a late write of a session that expired meanwhile', async () => {
    const sid = newSid();
    await api.set(sid, sessionData({ isLoggedIn: true }, 300));
    const inFlight = (await api.load(sid))!;
    await sleep(400);
    inFlight.touch();
    inFlight.returnTo = '/orders';
    await api.set(sid, inFlight);

    expect(await api.get(sid)).toBeNull();
  });

  it('counts and lists only live sessions', async () => {
    const live = [newSid(), newSid()];
    for (const sid of live) await api.set(sid, sessionData({ isLoggedIn: true }));
    const expired = newSid();
    await api.set(expired, sessionData({}, -1000));
    const destroyed = newSid();
    await api.set(destroyed, sessionData({}));
    await api.destroy(destroyed);
    await raw().insertOne({
      _id: newSid(),
      session: sessionData(),
      expires: new Date(Date.now() + 60_000),
      createdAt: new Date(Date.now() - ABSOLUTE_TTL_MS - 1),
      lastModified: new Date(),
    });

    const all = (await api.all())!;
    expect(Object.keys(all).sort()).toEqual([...live].sort());
    expect(all[live[0]!]).toMatchObject({ isLoggedIn: true, cookie: { path: '/', expires: expect.any(Date) } });
    expect(await api.length()).toBe(2);
  });

  it("lists a user's live sessions, with the user agent when the app stored one", async () => {
    const ann = { _id: 'ann-id', email: 'ann@example.com' };
    const [laptop, phone, expired, other] = [newSid(), newSid(), newSid(), newSid()];
    await api.set(laptop, sessionData({ isLoggedIn: true, user: ann, userAgent: 'Firefox on Linux' }));
    await sleep(20);
    await api.set(phone, sessionData({ isLoggedIn: true, user: ann }));
    await api.set(expired, sessionData({ isLoggedIn: true, user: ann }, -1000));
    await api.set(other, sessionData({ isLoggedIn: true, user: { _id: 'bob-id', email: 'bob@example.com' } }));
    const find = jest.spyOn(store.collection, 'find');

    const listed = await store.sessionsOfUser('ann-id');

    expect(find).toHaveBeenCalledTimes(1);
    find.mockRestore();
    expect(listed.map((s) => s.id)).toEqual([phone, laptop]);
    expect(listed[1]).toEqual({
      id: laptop,
      createdAt: expect.any(Date),
      lastActive: expect.any(Date),
      expires: expect.any(Date),
      userAgent: 'Firefox on Linux',
    });
    expect(listed[0]).not.toHaveProperty('userAgent');
    expect(listed[0]!.expires.getTime()).toBeGreaterThan(Date.now());
    expect(await store.sessionsOfUser('nobody')).toEqual([]);
  });

  it("ends a user's sessions except the current one, and only that user's", async () => {
    const ann = { _id: 'ann-id', email: 'ann@example.com' };
    const [current, other1, other2, bobs] = [newSid(), newSid(), newSid(), newSid()];
    for (const sid of [current, other1, other2]) await api.set(sid, sessionData({ isLoggedIn: true, user: ann }));
    await api.set(bobs, sessionData({ isLoggedIn: true, user: { _id: 'bob-id', email: 'bob@example.com' } }));
    const deleteMany = jest.spyOn(store.collection, 'deleteMany');

    expect(await store.destroySessionsOfUser('ann-id', { except: current })).toBe(2);

    expect(deleteMany).toHaveBeenCalledTimes(1);
    deleteMany.mockRestore();
    expect(await api.get(other1)).toBeNull();
    expect(await api.get(other2)).toBeNull();
    expect(await api.get(current)).toMatchObject({ user: ann });
    expect(await api.get(bobs)).toMatchObject({ user: { _id: 'bob-id' } });
    expect(await store.destroySessionsOfUser('ann-id')).toBe(1);
    expect(await api.get(current)).toBeNull();
  });

  it('refuses a user id that is not a string (an injected operator would match everyone)', async () => {
    const sid = newSid();
    await api.set(sid, sessionData({ isLoggedIn: true, user: { _id: 'ann-id', email: 'ann@example.com' } }));
    const injected = { $ne: null } as unknown as string;

    await expect(store.sessionsOfUser(injected)).rejects.toThrow(TypeError);
    await expect(store.destroySessionsOfUser(injected)).rejects.toThrow(TypeError);
    await expect(store.destroySessionsOfUser('ann-id', { except: injected })).rejects.toThrow(TypeError);
    expect(await api.get(sid)).not.toBeNull();
  });

  itWhereServerLacks('ttlDeletes', 'its TTL index deletes')('sweeps expired sessions and keeps live ones', async () => {
    const live = newSid();
    await api.set(live, sessionData({ isLoggedIn: true }));
    const expired = newSid();
    await api.set(expired, sessionData({}, -1000));
    await raw().insertOne({
      _id: newSid(),
      session: sessionData(),
      expires: new Date(Date.now() - 1),
      createdAt: new Date(),
      lastModified: new Date(),
    });

    const deleted = await sweepExpiredDocuments();
    expect(deleted[`${store.collection.dbName}.sessions.expires`]).toBe(2);
    expect(await raw().distinct('_id')).toEqual([live]);
  });

  it('reports failures without the session id or contents', async () => {
    const sid = newSid();
    await api.set(sid, sessionData({ isLoggedIn: true, user: { _id: 'u1', email: 'secret@example.com' } }));
    const loaded = (await api.load(sid))!;
    const emitted: unknown[] = [];
    const listener = (err: unknown) => emitted.push(err);
    store.on('error', listener);
    const failure = new Error(`E11000 duplicate key error collection: sessions dup key: { _id: "${sid}" }`);
    const updateOne = jest.spyOn(store.collection, 'updateOne').mockRejectedValue(failure);
    const findOne = jest.spyOn(store.collection, 'findOne').mockRejectedValue(failure);
    try {
      loaded.returnTo = '/x';
      const errors = await Promise.all([
        api.set(sid, loaded).catch((err: unknown) => err),
        api.get(sid).catch((err: unknown) => err),
      ]);
      for (const err of [...errors, ...emitted]) {
        expect(err).toBeInstanceOf(SessionStoreError);
        const { message } = err as Error;
        expect(message).toMatch(/^could not (save|load) session [0-9a-f]{12}: E11000/);
        expect(message).toContain(hashSessionId(sid));
        expect(message).not.toContain(sid);
        expect(message).not.toContain('secret@example.com');
      }
      expect(emitted).toHaveLength(2);
    } finally {
      updateOne.mockRestore();
      findOne.mockRestore();
      store._emitter.removeListener('error', listener);
    }
  });
});
