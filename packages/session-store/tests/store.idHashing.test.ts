/**
 * With an idHashSecret the store keys its documents by HMAC-SHA-256(secret, session id): the
 * collection never holds an id that a cookie carries, and every method maps the id the same way.
 */
import { createHmac } from 'node:crypto';
import { SessionStoreError } from '../src';
import { useControlledClock } from './support/clock';
import { newSid, sessionData, useTestStore } from './support/store';

const SECRET = 'store-test-id-hash-secret';
const testStore = useTestStore({}, { idHashSecret: SECRET });
const clock = useControlledClock();
const handleOf = (sid: string) => createHmac('sha256', SECRET).update(sid).digest('hex');
const ann = { _id: 'ann-id', email: 'ann@example.com' };

it('stores a session under the HMAC of its id, and finds it only by the id', async () => {
  const { store, api, raw } = testStore();
  const sid = newSid();
  await api.set(sid, sessionData({ isLoggedIn: true, user: ann }));

  expect(await raw.countDocuments({ _id: sid })).toBe(0);
  const doc = (await raw.findOne({ _id: handleOf(sid) }))!;
  expect(doc.session).toMatchObject({ isLoggedIn: true, user: ann });
  expect(JSON.stringify(await raw.find().toArray())).not.toContain(sid);
  expect(store.handleOf(sid)).toBe(handleOf(sid));

  expect(await api.get(sid)).toMatchObject({ user: ann });
  // What a copy of the collection holds, used as an id, finds nothing.
  expect(await api.get(doc._id)).toBeNull();
});

it('maps the id in every method: update, touch, destroy, all, length', async () => {
  const { api, raw } = testStore();
  const [sid, other] = [newSid(), newSid()];
  await api.set(sid, sessionData({ isLoggedIn: true, user: ann }));
  await api.set(other, sessionData({ isLoggedIn: true }));

  const loaded = (await api.load(sid))!;
  loaded.returnTo = '/cart';
  await api.set(sid, loaded);
  expect((await raw.findOne({ _id: handleOf(sid) }))!.session.returnTo).toBe('/cart');
  expect(await raw.countDocuments()).toBe(2);

  clock.advance(5000);
  const before = (await raw.findOne({ _id: handleOf(sid) }))!.lastModified.getTime();
  await api.touch(sid, (await api.load(sid))!);
  expect((await raw.findOne({ _id: handleOf(sid) }))!.lastModified.getTime()).toBe(before + 5000);

  // `all` can only answer with what it stored: handles, never ids.
  expect(Object.keys((await api.all())!).sort()).toEqual([handleOf(sid), handleOf(other)].sort());
  expect(await api.length()).toBe(2);

  await api.destroy(sid);
  expect(await raw.countDocuments({ _id: handleOf(sid) })).toBe(0);
  expect(await api.get(sid)).toBeNull();
  expect(await api.get(other)).not.toBeNull();
});

it("lists, revokes and ends a user's sessions by handle", async () => {
  const { store, api } = testStore();
  const [current, laptop, phone] = [newSid(), newSid(), newSid()];
  for (const sid of [current, laptop, phone]) {
    await api.set(sid, sessionData({ isLoggedIn: true, user: ann }));
    clock.advance(10);
  }
  const bobs = newSid();
  await api.set(bobs, sessionData({ isLoggedIn: true, user: { _id: 'bob-id', email: 'b@example.com' } }));

  expect((await store.sessionsOfUser('ann-id')).map((s) => s.handle)).toEqual([phone, laptop, current].map(handleOf));
  // Another account's handle ends nothing; the user's own ends that one session.
  expect(await store.destroySessionOfUser('ann-id', handleOf(bobs))).toBe(false);
  expect(await store.destroySessionOfUser('ann-id', handleOf(laptop))).toBe(true);
  expect(await store.destroySessionOfUser('ann-id', handleOf(laptop))).toBe(false);
  expect(await api.get(laptop)).toBeNull();
  await expect(store.destroySessionOfUser('ann-id', { $ne: null } as unknown as string)).rejects.toThrow(TypeError);

  expect(await store.destroySessionsOfUser('ann-id', { except: current })).toBe(1);
  expect(await api.get(phone)).toBeNull();
  expect(await api.get(current)).not.toBeNull();
  expect(await api.get(bobs)).not.toBeNull();
});

it("ends a user's least recently active sessions beyond the cap, with one read and one delete", async () => {
  const { store, api } = testStore();
  const sids = [newSid(), newSid(), newSid(), newSid()];
  for (const sid of sids) {
    await api.set(sid, sessionData({ isLoggedIn: true, user: ann }));
    clock.advance(10);
  }
  // The oldest login is the most recently active one now.
  clock.advance(2000);
  await api.touch(sids[0]!, (await api.load(sids[0]!))!);
  const find = jest.spyOn(store.collection, 'find');
  const deleteMany = jest.spyOn(store.collection, 'deleteMany');
  try {
    expect(await store.endLeastRecentSessionsOfUser('ann-id', 2)).toBe(2);
    expect(find).toHaveBeenCalledTimes(1);
    expect(deleteMany).toHaveBeenCalledTimes(1);
    expect(await store.endLeastRecentSessionsOfUser('ann-id', 2)).toBe(0);
    expect(deleteMany).toHaveBeenCalledTimes(1);
  } finally {
    find.mockRestore();
    deleteMany.mockRestore();
  }
  const live = await Promise.all(sids.map(async (sid) => (await api.get(sid)) !== null));
  expect(live).toEqual([true, false, false, true]);
});

it('ends, once opened, the sessions it can never find: stored before hashing, or under another secret', async () => {
  const { store, api, raw } = testStore();
  const sid = newSid();
  await api.set(sid, sessionData({ isLoggedIn: true, user: ann }));
  const now = new Date();
  const legacy = { session: sessionData({ isLoggedIn: true, user: ann }), expires: new Date(Date.now() + 60_000) };
  await raw.insertMany([
    { _id: newSid(), ...legacy, createdAt: now, lastModified: now },
    { _id: handleOf(newSid()), ...legacy, createdAt: now, lastModified: now, idKey: 'another-secret' },
  ]);
  expect((await store.sessionsOfUser('ann-id')).length).toBe(3);

  expect(await store.endSessionsOfOtherIdKeys()).toBe(2);
  expect((await store.sessionsOfUser('ann-id')).map((s) => s.handle)).toEqual([handleOf(sid)]);
});

it('names a session in its errors by the start of its handle, never by its id', async () => {
  const { store, api } = testStore();
  const sid = newSid();
  await api.set(sid, sessionData({ isLoggedIn: true, user: { _id: 'u1', email: 'secret@example.com' } }));
  const findOne = jest.spyOn(store.collection, 'findOne').mockRejectedValue(new Error(`no luck with "${sid}"`));
  try {
    const err = await api.get(sid).catch((error: unknown) => error);
    expect(err).toBeInstanceOf(SessionStoreError);
    expect((err as Error).message).toBe(
      `could not load session ${handleOf(sid).slice(0, 12)}: no luck with "${handleOf(sid).slice(0, 12)}"`,
    );
  } finally {
    findOne.mockRestore();
  }
});
