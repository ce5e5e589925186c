/** The store's lifetimes on a controlled clock: creation time, lazy touch, idle and absolute expiry. */
import { waitFor } from './support/waitFor';
import { useControlledClock } from './support/clock';
import { ABSOLUTE_TTL_MS, newSid, sessionData, useTestStore } from './support/store';

const clock = useControlledClock();

describe('the store', () => {
  const testStore = useTestStore();

  it('records the creation time on insert only', async () => {
    const { api, raw } = testStore();
    const sid = newSid();
    await api.set(sid, sessionData({ isLoggedIn: true }));
    const inserted = (await raw.findOne({ _id: sid }))!;
    clock.advance(30);
    const loaded = (await api.load(sid))!;
    loaded.returnTo = '/account';
    await api.set(sid, loaded);

    const updated = (await raw.findOne({ _id: sid }))!;
    expect(updated.createdAt).toEqual(inserted.createdAt);
    expect(updated.lastModified.getTime()).toBe(inserted.lastModified.getTime() + 30);
    expect(updated.session.returnTo).toBe('/account');
  });

  it('touches lazily: no write within the touch interval, one after it', async () => {
    const { store, api, raw } = testStore();
    const sid = newSid();
    await api.set(sid, sessionData({ isLoggedIn: true }));
    const writes = jest.spyOn(store.collection, 'updateOne');
    try {
      const fresh = (await api.load(sid))!;
      clock.advance(900);
      fresh.touch();
      await api.touch(sid, fresh);
      expect(writes).not.toHaveBeenCalled();

      clock.advance(200);
      const stale = (await api.load(sid))!;
      stale.touch();
      await api.touch(sid, stale);
      await api.touch(sid, stale);
      expect(writes).toHaveBeenCalledTimes(1);
      expect((await raw.findOne({ _id: sid }))!.expires).toEqual(stale.cookie.expires);
    } finally {
      writes.mockRestore();
    }
  });

  it('refuses, and deletes, a session past its idle expiry or its absolute lifetime', async () => {
    const { store, api, raw } = testStore();
    const idle = newSid();
    const old = newSid();
    const legacy = newSid();
    const now = clock.now();
    await raw.insertMany([
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
    // The deletes run after the answer: wait for them (real time; the clock stands still).
    await waitFor('the dead sessions deleted', async () => (await raw.countDocuments()) === 0, 15_000, 25);
  });
});
