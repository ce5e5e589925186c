/** What the store keeps in its documents, what it lists and counts, and how expired ones go. */
import { ABSOLUTE_TTL_MS, newSid, sessionData, useTestStore } from './support/store';

const testStore = useTestStore();

it('keeps its bookkeeping in the document, never in the session the app sees', async () => {
  const { api, raw } = testStore();
  const sid = newSid();
  await api.set(sid, sessionData({ isLoggedIn: true, user: { _id: 'u1', email: 'a@example.com' } }));

  const doc = (await raw.findOne({ _id: sid }))!;
  expect(doc.createdAt).toBeInstanceOf(Date);
  expect(doc.lastModified).toBeInstanceOf(Date);
  expect(Object.keys(doc.session).sort()).toEqual(['cookie', 'isLoggedIn', 'user']);

  const data = (await api.get(sid))!;
  expect(Object.keys(data).sort()).toEqual(['cookie', 'isLoggedIn', 'user']);
  const loaded = (await api.load(sid))!;
  expect(JSON.stringify(loaded)).not.toMatch(/createdAt|lastModified|writtenAt/);
  await api.set(sid, loaded);
  expect(Object.keys((await raw.findOne({ _id: sid }))!.session).sort()).toEqual(['cookie', 'isLoggedIn', 'user']);
});

it('counts and lists only live sessions', async () => {
  const { api, raw } = testStore();
  const live = [newSid(), newSid()];
  for (const sid of live) await api.set(sid, sessionData({ isLoggedIn: true }));
  const expired = newSid();
  await api.set(expired, sessionData({}, -1000));
  const destroyed = newSid();
  await api.set(destroyed, sessionData({}));
  await api.destroy(destroyed);
  await raw.insertOne({
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

it('sweeps sessions past their expiry and its grace, and keeps the others', async () => {
  const { store, api, raw } = testStore();
  const grace = store.options.expiresAfterSeconds * 1000;
  expect(grace).toBe(60_000);
  const live = newSid();
  await api.set(live, sessionData({ isLoggedIn: true }));
  const expired = newSid();
  await api.set(expired, sessionData({}, -1000));
  await raw.insertOne({
    _id: newSid(),
    session: sessionData(),
    expires: new Date(Date.now() - grace - 1),
    createdAt: new Date(),
    lastModified: new Date(),
  });

  expect(await store.sweepExpired()).toBe(1);
  // Within its grace, an expired session is kept (and refused by get, see the lifetime tests).
  expect(await raw.countDocuments({ _id: expired })).toBe(1);
  expect(await store.sweepExpired(Date.now() + grace)).toBe(1);
  expect(await raw.distinct('_id')).toEqual([live]);
});
