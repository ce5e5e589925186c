/** Store failures reach logs and callbacks without the session id or the session's contents. */
import { SessionStoreError, hashSessionId } from '../src';
import { newSid, sessionData, useTestStore } from './support/store';

const testStore = useTestStore();

it('reports failures without the session id or contents', async () => {
  const { store, api } = testStore();
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
    store.removeListener('error', listener);
  }
});
