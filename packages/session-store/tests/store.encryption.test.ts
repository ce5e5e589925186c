/**
 * With encryptionKeys the store seals the session data (AES-256-GCM): a document, a backup or a
 * dump of the collection tells nothing of a session but its lifetimes, while every method works
 * as before. Keys rotate without ending anyone's session.
 */
import type { SessionData } from 'express-session';
import { openSessionStore, sessionStoreBeside, type MongoSessionStore } from '../src';
import { useControlledClock } from './support/clock';
import { ABSOLUTE_TTL_MS, newSid, promised, sessionData, useTestStore } from './support/store';

const OLD_KEY = 'the-first-session-data-key-of-32-characters';
const NEW_KEY = 'the-second-session-data-key-of-32-characters';
const ID_SECRET = 'store-test-id-hash-secret';

const testStore = useTestStore({}, { idHashSecret: ID_SECRET, encryptionKeys: [OLD_KEY] });
const clock = useControlledClock();

const ann = { _id: 'ann-id-4242', email: 'ann@example.com' };
const annsSession = (fields: Partial<SessionData> = {}) =>
  sessionData({ isLoggedIn: true, user: ann, returnTo: '/orders/9917', userAgent: 'Firefox on Linux', ...fields });

/** Another store on the test store's database, as an instance of the app configured with `encryptionKeys`. */
const opened: MongoSessionStore<'userAgent'>[] = [];
async function storeWithKeys(encryptionKeys: readonly string[] | undefined) {
  const { store } = testStore();
  const other = await openSessionStore({
    client: store.client,
    maxAgeMs: 60_000,
    touchIntervalMs: 1000,
    absoluteTtlMs: ABSOLUTE_TTL_MS,
    expiry: { sweepEveryMs: 60 * 60 * 1000 },
    idHashSecret: ID_SECRET,
    encryptionKeys,
    userIdField: 'user._id',
    listedFields: ['userAgent'],
  });
  opened.push(other);
  return { store: other, api: promised(other) };
}
afterEach(async () => {
  await Promise.all(opened.splice(0).map((store) => store.close()));
});

/** The key id a sealed value names (`v1.<key id>.…`). */
const keyIdOf = (sealed: unknown) => String(sealed).split('.')[1];

it('keeps nothing of the session readable in its document, and every method still works', async () => {
  const { store, api, raw } = testStore();
  const [sid, other] = [newSid(), newSid()];
  await api.set(sid, annsSession());
  await api.set(other, annsSession({ userAgent: 'Safari on iPhone' }));

  const docs = await raw.find().toArray();
  expect(Object.keys(docs[0]!).sort()).toEqual(
    ['_id', 'createdAt', 'expires', 'idKey', 'lastModified', 'sealed', 'session', 'user'].sort(),
  );
  expect(Object.keys(docs[0]!.session)).toEqual(['cookie']);
  const dump = JSON.stringify(docs);
  for (const secret of [sid, other, ann._id, ann.email, '/orders/9917', 'Firefox', 'Safari', 'isLoggedIn']) {
    expect(dump).not.toContain(secret);
  }

  expect(await api.get(sid)).toMatchObject({ isLoggedIn: true, user: ann, returnTo: '/orders/9917' });
  const listed = await store.sessionsOfUser(ann._id);
  expect(listed.map((session) => session.userAgent).sort()).toEqual(['Firefox on Linux', 'Safari on iPhone']);
  expect(await store.countLiveSessionsOfUsers([ann._id, 'nobody'])).toEqual(new Map([[ann._id, 2]]));
  expect(Object.keys((await api.all())!).sort()).toEqual([store.handleOf(sid), store.handleOf(other)].sort());

  expect(await store.destroySessionsOfUser(ann._id, { except: sid })).toBe(1);
  expect(await api.get(other)).toBeNull();
  expect(await store.endLeastRecentSessionsOfUser(ann._id, 1)).toBe(0);
  expect(await store.destroySessionOfUser(ann._id, store.handleOf(sid))).toBe(true);
  expect(await api.length()).toBe(0);
});

it('refuses sealed data copied into another session’s document', async () => {
  const { api, raw, store } = testStore();
  const [victim, attacker] = [newSid(), newSid()];
  await api.set(victim, annsSession());
  await api.set(attacker, sessionData({ isLoggedIn: false }));
  const { sealed, user } = (await raw.findOne({ _id: store.handleOf(victim) }))!;
  await raw.updateOne({ _id: store.handleOf(attacker) }, { $set: { sealed, user } });

  expect(await api.get(attacker)).toBeNull();
  expect(await api.get(victim)).toMatchObject({ user: ann });
});

it('rotates keys without logging anyone out: old seals are read, and sealed anew at the next write', async () => {
  const { api, raw, store } = testStore();
  const [touched, changed, idle] = [newSid(), newSid(), newSid()];
  for (const sid of [touched, changed, idle]) await api.set(sid, annsSession());
  const sealedWith = async (sid: string) => keyIdOf((await raw.findOne({ _id: store.handleOf(sid) }))!.sealed);
  const oldKeyId = await sealedWith(touched);

  // The new key goes first; the old one stays listed.
  const rotated = await storeWithKeys([NEW_KEY, OLD_KEY]);
  clock.advance(1500);
  const session = (await rotated.api.load(touched))!;
  expect(session).toMatchObject({ user: ann });
  session.touch();
  await rotated.api.touch(touched, session);
  const loaded = (await rotated.api.load(changed))!;
  loaded.returnTo = '/cart';
  await rotated.api.set(changed, loaded);

  expect(await sealedWith(touched)).not.toBe(oldKeyId);
  expect(await sealedWith(changed)).not.toBe(oldKeyId);
  expect(await sealedWith(idle)).toBe(oldKeyId);

  // Once the old key is gone, what was sealed again is read; a session never written since is not.
  const newOnly = await storeWithKeys([NEW_KEY]);
  expect(await newOnly.api.get(touched)).toMatchObject({ user: ann, returnTo: '/orders/9917' });
  expect(await newOnly.api.get(changed)).toMatchObject({ user: ann, returnTo: '/cart' });
  expect(await newOnly.api.get(idle)).toBeNull();
  // Its document stays until it expires, in case the old key is listed again.
  expect(await raw.countDocuments({ _id: store.handleOf(idle) })).toBe(1);
});

it('seals a session again on a touch only if no other request wrote it since this one read it', async () => {
  const { api } = testStore();
  const sid = newSid();
  await api.set(sid, annsSession());
  const rotated = await storeWithKeys([NEW_KEY, OLD_KEY]);
  clock.advance(1500);
  const slow = (await rotated.api.load(sid))!;
  const fast = (await rotated.api.load(sid))!;
  fast.returnTo = '/checkout';
  await rotated.api.set(sid, fast);

  slow.touch();
  await rotated.api.touch(sid, slow);
  expect(await rotated.api.get(sid)).toMatchObject({ returnTo: '/checkout' });
});

it('reads sessions stored before sealing was turned on, and seals them at their next write', async () => {
  const { raw, store } = testStore();
  const sid = newSid();
  const plain = await storeWithKeys(undefined);
  await plain.api.set(sid, annsSession());
  expect((await raw.findOne({ _id: store.handleOf(sid) }))!.session).toMatchObject({ user: ann });

  const sealing = await storeWithKeys([NEW_KEY]);
  clock.advance(1500);
  const session = (await sealing.api.load(sid))!;
  expect(session).toMatchObject({ user: ann, returnTo: '/orders/9917' });
  session.touch();
  await sealing.api.touch(sid, session);

  const doc = (await raw.findOne({ _id: store.handleOf(sid) }))!;
  expect(Object.keys(doc.session)).toEqual(['cookie']);
  expect(keyIdOf(doc.sealed)).toBeTruthy();
  expect(await sealing.store.sessionsOfUser(ann._id)).toHaveLength(1);
  // A store without the keys cannot read it: it has no session there.
  expect(await plain.api.get(sid)).toBeNull();
});

it('refuses keys too short to be secrets, and an empty list', () => {
  const { store } = testStore();
  expect(
    () => new (store.constructor as typeof MongoSessionStore)({ client: store.client, encryptionKeys: [] }),
  ).toThrow('at least one key');
  expect(
    () => new (store.constructor as typeof MongoSessionStore)({ client: store.client, encryptionKeys: ['short'] }),
  ).toThrow('at least 32 characters');
});

it("lets a tool beside the app open only with the app's secrets: with others it would find none of the sessions", async () => {
  const { api, store } = testStore();
  await api.set(newSid(), annsSession());
  const beside = (secrets: { idHashSecret?: string; encryptionKeys?: readonly string[] }) =>
    sessionStoreBeside({ client: store.client, maxAgeMs: 60_000, userIdField: 'user._id', ...secrets });

  await expect(beside({ idHashSecret: 'another-id-hash-secret', encryptionKeys: [OLD_KEY] })).rejects.toThrow(
    'keyed or sealed with other secrets',
  );
  await expect(beside({ idHashSecret: ID_SECRET })).rejects.toThrow('keyed or sealed with other secrets');
  await expect(beside({ idHashSecret: ID_SECRET, encryptionKeys: [NEW_KEY] })).rejects.toThrow('other secrets');
  const tool = await beside({ idHashSecret: ID_SECRET, encryptionKeys: [NEW_KEY, OLD_KEY] });
  expect(await tool.destroySessionsOfUser(ann._id)).toBe(1);
});
