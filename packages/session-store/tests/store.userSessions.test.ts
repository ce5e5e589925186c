/** A user's sessions: listing them (the account page) and ending them (sign-out everywhere). */
import { useControlledClock } from './support/clock';
import { newSid, sessionData, useTestStore } from './support/store';

const testStore = useTestStore();
const clock = useControlledClock();
const ann = { _id: 'ann-id', email: 'ann@example.com' };
const bob = { _id: 'bob-id', email: 'bob@example.com' };

it("lists a user's live sessions, with the user agent when the app stored one", async () => {
  const { store, api } = testStore();
  const [laptop, phone, expired, other] = [newSid(), newSid(), newSid(), newSid()];
  await api.set(laptop, sessionData({ isLoggedIn: true, user: ann, userAgent: 'Firefox on Linux' }));
  clock.advance(20);
  await api.set(phone, sessionData({ isLoggedIn: true, user: ann }));
  await api.set(expired, sessionData({ isLoggedIn: true, user: ann }, -1000));
  await api.set(other, sessionData({ isLoggedIn: true, user: bob }));
  const find = jest.spyOn(store.collection, 'find');

  const listed = await store.sessionsOfUser('ann-id');

  expect(find).toHaveBeenCalledTimes(1);
  find.mockRestore();
  expect(listed.map((s) => s.handle)).toEqual([phone, laptop]);
  expect(listed[1]).toEqual({
    handle: laptop,
    createdAt: expect.any(Date),
    lastActive: expect.any(Date),
    expires: expect.any(Date),
    userAgent: 'Firefox on Linux',
  });
  expect(listed[0]).not.toHaveProperty('userAgent');
  expect(listed[0]!.expires.getTime()).toBeGreaterThan(clock.now());
  expect(await store.sessionsOfUser('nobody')).toEqual([]);
});

it("ends a user's sessions except the current one, and only that user's", async () => {
  const { store, api } = testStore();
  const [current, other1, other2, bobs] = [newSid(), newSid(), newSid(), newSid()];
  for (const sid of [current, other1, other2]) await api.set(sid, sessionData({ isLoggedIn: true, user: ann }));
  await api.set(bobs, sessionData({ isLoggedIn: true, user: bob }));
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
  // Safe to repeat (a retry after a lost answer: retryable writes do not cover a deleteMany).
  expect(await store.destroySessionsOfUser('ann-id')).toBe(0);
  expect(await store.destroySessionOfUser('ann-id', current)).toBe(false);
  expect(await api.get(bobs)).toMatchObject({ user: { _id: 'bob-id' } });
});

it('refuses a user id that is not a string (an injected operator would match everyone)', async () => {
  const { store, api } = testStore();
  const sid = newSid();
  await api.set(sid, sessionData({ isLoggedIn: true, user: ann }));
  const injected = { $ne: null } as unknown as string;

  await expect(store.sessionsOfUser(injected)).rejects.toThrow(TypeError);
  await expect(store.destroySessionsOfUser(injected)).rejects.toThrow(TypeError);
  await expect(store.destroySessionsOfUser('ann-id', { except: injected })).rejects.toThrow(TypeError);
  expect(await api.get(sid)).not.toBeNull();
});

it('counts the live sessions of many users in one query, leaving out expired ones and users without any', async () => {
  const { store, api } = testStore();
  for (let i = 0; i < 3; i += 1) await api.set(newSid(), sessionData({ isLoggedIn: true, user: ann }));
  await api.set(newSid(), sessionData({ isLoggedIn: true, user: ann }, -1000));
  await api.set(newSid(), sessionData({ isLoggedIn: true, user: bob }));
  await api.set(newSid(), sessionData({ isLoggedIn: true, user: { _id: 'cat-id', email: 'cat@example.com' } }));
  const aggregate = jest.spyOn(store.collection, 'aggregate');

  const counts = await store.countLiveSessionsOfUsers(['ann-id', 'bob-id', 'nobody']);

  expect(aggregate).toHaveBeenCalledTimes(1);
  expect(Object.fromEntries(counts)).toEqual({ 'ann-id': 3, 'bob-id': 1 });
  expect(await store.countLiveSessionsOfUsers([])).toEqual(new Map());
  expect(aggregate).toHaveBeenCalledTimes(1);
  aggregate.mockRestore();
  await expect(store.countLiveSessionsOfUsers([{ $ne: null } as unknown as string])).rejects.toThrow(TypeError);
});
