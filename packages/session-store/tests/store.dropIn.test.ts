/**
 * The store is a drop-in for connect-mongodb-session's MongoDBStore, which it subclasses: what that
 * library's own tests and express-session's Store contract expect of it still holds.
 */
import express from 'express';
import session from 'express-session';
import request from 'supertest';
import { MongoSessionStore } from '../src';
import { uniqueDatabaseUri } from './support/server';
import { useControlledClock } from './support/clock';
import { ABSOLUTE_TTL_MS, newSid, sessionData, useTestStore } from './support/store';

const testStore = useTestStore();
const clock = useControlledClock();

/**
 * Whether `promise` settles within `ms` (a callback that is never called would hang the request):
 * a bound for a callback that never comes, generous for a busy machine, not a wait.
 */
async function settlesWithin(promise: Promise<unknown>, ms = 15_000) {
  let timer: NodeJS.Timeout | undefined;
  const never = new Promise((resolve) => (timer = setTimeout(() => resolve('never called back'), ms)));
  try {
    return await Promise.race([
      promise.then(
        () => 'called back',
        () => 'called back with an error',
      ),
      never,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

describe('construction, as the base allows it', () => {
  /** A store that will not reach its server: close its client at once, and swallow what the base rethrows. */
  async function discard(store: MongoSessionStore) {
    store.initialConnectionPromise.catch(() => {});
    await store.client.close();
  }

  it('works without arguments, with the base defaults', async () => {
    const store = new MongoSessionStore();
    store.on('error', () => {});
    expect(store.options).toMatchObject({
      uri: 'mongodb://127.0.0.1:27017/test',
      collection: 'sessions',
      expires: 14 * 24 * 60 * 60 * 1000,
    });
    expect(store.touchIntervalMs).toBe(60_000);
    await discard(store);
  });

  it('takes a callback alone, and calls it once the first connect settles', async () => {
    let store: MongoSessionStore | undefined;
    const settled = new Promise<unknown>((resolve) => {
      store = new MongoSessionStore((error) => resolve(error ?? 'connected'));
    });
    expect(store!.options.uri).toBe('mongodb://127.0.0.1:27017/test');
    await discard(store!);
    expect(await settled).toBeDefined();
  });

  it.each([
    ['idField', { idField: 'sessionId' }],
    ['expiresKey', { expiresKey: 'expiresAt' }],
  ])('refuses the base option %s rather than ignoring it', (name, option) => {
    expect(() => new MongoSessionStore({ uri: uniqueDatabaseUri(), ...option })).toThrow(name);
  });

  it('is callable without new, as the base is, and still a subclassable MongoSessionStore', async () => {
    const store = MongoSessionStore({ uri: uniqueDatabaseUri(), collection: 'called' }, () => {});
    expect(store).toBeInstanceOf(MongoSessionStore);
    expect(store).toBeInstanceOf(session.Store);
    expect(store.options.collection).toBe('called');
    await discard(store);

    class AuditedStore extends MongoSessionStore {
      audited = true;
    }
    const sub = new AuditedStore({ uri: uniqueDatabaseUri() }, () => {});
    expect(sub).toBeInstanceOf(MongoSessionStore);
    expect(sub.audited).toBe(true);
    await discard(sub);
  });

  it('accepts idField and expiresKey given as the values it uses', async () => {
    const store = new MongoSessionStore({ uri: uniqueDatabaseUri(), idField: '_id', expiresKey: 'expires' }, () => {});
    await discard(store);
  });
});

describe('events', () => {
  it("reaches express-session's listeners: no sessions between 'disconnect' and 'connect'", async () => {
    const { store, api } = testStore();
    const app = express();
    app.use(session({ store, secret: 'test secret', resave: false, saveUninitialized: false }));
    app.get('/', (req, res) => {
      res.send(req.session ? 'with a session' : 'without a session');
    });

    store.emit('disconnect');
    expect((await request(app).get('/')).text).toBe('without a session');
    store.emit('connect');
    expect((await request(app).get('/')).text).toBe('with a session');
    // The store's own events and the ones registered through it share one emitter.
    const errors: unknown[] = [];
    const listener = (err: unknown) => errors.push(err);
    store.on('error', listener);
    store.removeListener('error', listener);
    await expect(api.get(newSid())).resolves.toBeNull();
    expect(store.listenerCount('error')).toBe(1);
  });

  it("tells 'connected' listeners of its first connect", async () => {
    const store = new MongoSessionStore({ uri: uniqueDatabaseUri() }, () => {});
    await new Promise<void>((resolve) => store.once('connected', () => resolve()));
    await store.client.close();
  });
});

describe('writes', () => {
  it.each([
    ['insertOne', 'a new session'],
    ['updateOne', 'a loaded session'],
  ] as const)('still calls back when %s resolves to something unexpected (%s)', async (method, _what) => {
    const { store, api } = testStore();
    const sid = newSid();
    await api.set(sid, sessionData({ isLoggedIn: true }));
    const loaded = (await api.load(sid))!;
    loaded.returnTo = '/x';
    clock.advance(5000);
    loaded.touch();
    const write = jest.spyOn(store.collection, method).mockResolvedValue(undefined as never);
    try {
      if (method === 'insertOne') expect(await settlesWithin(api.set(newSid(), sessionData()))).toBe('called back');
      else {
        expect(await settlesWithin(api.set(sid, loaded))).toBe('called back');
        expect(await settlesWithin(api.touch(sid, loaded))).toBe('called back');
      }
    } finally {
      write.mockRestore();
    }
  });

  it('caps the expiry at the absolute lifetime for a session it did not load (touch and set)', async () => {
    const { api, raw } = testStore();
    const now = clock.now();
    const createdAt = new Date(now - ABSOLUTE_TTL_MS + 5000);
    const sids = [newSid(), newSid()];
    await raw.insertMany(
      sids.map((sid) => ({
        _id: sid,
        session: sessionData(),
        expires: new Date(now + 30_000),
        createdAt,
        lastModified: new Date(now - 30_000),
      })),
    );
    // Session data that express-session or another store built, not what this store's get() returned.
    await api.touch(sids[0]!, sessionData({}, 60_000));
    await api.set(sids[1]!, sessionData({ isLoggedIn: true }, 60_000));

    for (const sid of sids) {
      const doc = (await raw.findOne({ _id: sid }))!;
      expect(doc.expires.getTime()).toBe(createdAt.getTime() + ABSOLUTE_TTL_MS);
      expect(doc.createdAt).toEqual(createdAt);
    }
    expect((await raw.findOne({ _id: sids[1]! }))!.session.isLoggedIn).toBe(true);
  });
});

describe('values that BSON servers disagree on', () => {
  it('stores NaN and infinities as JSON would (null), so that FerretDB does not refuse the save', async () => {
    const { api } = testStore();
    const sid = newSid();
    await api.set(sid, sessionData({ isLoggedIn: true, cart: { count: NaN, limit: Infinity, items: [1, -Infinity] } }));
    expect(await api.get(sid)).toMatchObject({
      isLoggedIn: true,
      cart: { count: null, limit: null, items: [1, null] },
    });
  });

  it('saves a session whose cookie expiry is invalid, with the default idle timeout', async () => {
    const { api, raw } = testStore();
    const sid = newSid();
    const data = sessionData({ isLoggedIn: true });
    data.cookie.maxAge = NaN;
    await api.set(sid, data);

    const doc = (await raw.findOne({ _id: sid }))!;
    expect(doc.expires.getTime()).toBe(clock.now() + 60_000);
    expect(doc.session.cookie).toMatchObject({ originalMaxAge: null, expires: null });
    expect(await api.get(sid)).toMatchObject({ isLoggedIn: true });
  });

  it('keeps a session working through express-session when a request stores NaN', async () => {
    const { store } = testStore();
    const app = express();
    app.use(session({ store, secret: 'test secret', resave: false, saveUninitialized: false }));
    app.get('/rate', (req, res) => {
      (req.session as unknown as Record<string, unknown>).rating = Number(req.query.stars);
      req.session.save((err) => res.status(err ? 503 : 200).send(err ? 'not saved' : 'saved'));
    });
    app.get('/rating', (req, res) => {
      res.json({ rating: (req.session as unknown as Record<string, unknown>).rating });
    });
    const agent = request.agent(app);

    expect((await agent.get('/rate?stars=many')).status).toBe(200);
    expect((await agent.get('/rating')).body).toEqual({ rating: null });
  });
});
