/**
 * On a replica set, the writes that decide who is signed in wait for a majority (packages/session-store/src/
 * durability.ts), and a touch does not. Neither test server is a replica set, so this is shown by
 * the commands the driver sends (command monitoring): their write concern.
 */
import { useControlledClock } from './support/clock';
import { sessionCommandsDuring } from './support/commands';
import { newSid, sessionData, useTestStore } from './support/store';

const testStore = useTestStore({ monitorCommands: true });
const clock = useControlledClock();

/** The write commands on the sessions collection that `work` sends, with their write concern. */
async function writesOf(work: () => Promise<unknown>) {
  const events = await sessionCommandsDuring(testStore().store.client, work);
  return events
    .filter(({ commandName }) => ['insert', 'update', 'delete'].includes(commandName))
    .map(({ commandName, command }) => ({
      command: commandName,
      w: (command.writeConcern as { w?: unknown } | undefined)?.w,
    }));
}

const user = (id: string) => ({ isLoggedIn: true, user: { _id: id, email: `${id}@example.com` } });

it('creates, destroys and revokes sessions with majority write concern, and touches without it', async () => {
  const { api, store } = testStore();
  const [login, other, third] = [newSid(), newSid(), newSid()];

  expect(await writesOf(() => api.set(login, sessionData(user('u1'))))).toEqual([{ command: 'insert', w: 'majority' }]);

  const loaded = (await api.load(login))!;
  clock.advance(2000);
  expect(await writesOf(() => api.touch(login, loaded))).toEqual([{ command: 'update', w: undefined }]);

  expect(await writesOf(() => api.destroy(login))).toEqual([{ command: 'delete', w: 'majority' }]);

  for (const sid of [login, other, third]) await api.set(sid, sessionData(user('u2')));
  const revokeOne = await writesOf(() => store.destroySessionOfUser('u2', store.handleOf(third)));
  const cap = await writesOf(() => store.endLeastRecentSessionsOfUser('u2', 1));
  const revokeAll = await writesOf(() => store.destroySessionsOfUser('u2'));
  for (const writes of [revokeOne, cap, revokeAll]) expect(writes).toEqual([{ command: 'delete', w: 'majority' }]);
  expect(await api.get(other)).toBeNull();
});
