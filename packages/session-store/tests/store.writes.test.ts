/**
 * How the store reads and writes one session: by `_id` alone, the one filter FerretDB 1.24 narrows
 * (any other is matched document by document in its own process, at 20 000 sessions a save took
 * seconds) and the one mongo-java-server answers from its index. Counted with the driver's command
 * monitoring, so deterministic; bench/ measures what it is worth.
 */
import { useControlledClock } from './support/clock';
import { sessionCommandsDuring } from './support/commands';
import { ABSOLUTE_TTL_MS, newSid, sessionData, useTestStore } from './support/store';

const testStore = useTestStore({ monitorCommands: true });
const clock = useControlledClock();

/** The session commands `work` sends: the command name and, for reads and writes, each filter. */
async function commandsOf(work: () => Promise<unknown>) {
  const events = await sessionCommandsDuring(testStore().store.client, work);
  return events.flatMap(({ commandName, command }): Array<{ command: string; filter?: unknown }> => {
    if (commandName === 'find') return [{ command: 'find', filter: command.filter }];
    if (commandName === 'update')
      return command.updates.map((u: { q: unknown }) => ({ command: 'update', filter: u.q }));
    if (commandName === 'delete')
      return command.deletes.map((d: { q: unknown }) => ({ command: 'delete', filter: d.q }));
    return [{ command: commandName }];
  });
}

it('reads, writes and deletes one session by _id alone, whatever the path', async () => {
  const { api, raw } = testStore();
  const [sid, other, unloaded, expired] = [newSid(), newSid(), newSid(), newSid()];
  const now = clock.now();
  await raw.insertMany(
    [unloaded, expired].map((id) => ({
      _id: id,
      session: sessionData(),
      expires: new Date(id === expired ? now - 1 : now + 30_000),
      createdAt: new Date(now - 1000),
      lastModified: new Date(now - 1000),
    })),
  );

  const commands = await commandsOf(async () => {
    await api.set(sid, sessionData({ isLoggedIn: true }));
    const loaded = (await api.load(sid))!;
    loaded.returnTo = '/orders';
    await api.set(sid, loaded);
    clock.advance(5000);
    loaded.touch();
    await api.touch(sid, loaded);
    // Session data this store did not load: a save and a touch of existing documents.
    await api.set(unloaded, sessionData({ isLoggedIn: true }));
    await api.touch(other, sessionData());
    expect(await api.get(expired)).toBeNull();
    await api.destroy(sid);
  });

  expect(commands.map((c) => c.command)).toEqual([
    ...['insert', 'find', 'update', 'update'],
    ...['insert', 'find', 'update', 'find', 'find', 'delete', 'delete'],
  ]);
  for (const { filter } of commands.filter((c) => c.command !== 'insert')) {
    expect(Object.keys(filter as object)).toEqual(['_id']);
    expect(typeof (filter as { _id: unknown })._id).toBe('string');
  }
  expect((await raw.findOne({ _id: unloaded }))!.expires.getTime()).toBe(clock.now() + 60_000);
});

it('writes nothing when a session is saved again, unchanged, within the touch interval', async () => {
  const { api, raw } = testStore();
  const sid = newSid();
  // A login: express-session saves the regenerated session once the app asks, and again at the end.
  const data = sessionData({ isLoggedIn: true, user: { _id: 'u1', email: 'a@example.com' } });
  await api.set(sid, data);
  clock.advance(10);
  const again = await commandsOf(() => api.set(sid, data));
  expect(again).toEqual([]);

  (data as { returnTo?: string }).returnTo = '/cart';
  expect((await commandsOf(() => api.set(sid, data))).map((c) => c.command)).toEqual(['update']);
  clock.advance(1000);
  expect((await commandsOf(() => api.set(sid, data))).map((c) => c.command)).toEqual(['update']);
  expect((await raw.findOne({ _id: sid }))!.session.returnTo).toBe('/cart');
});

it('still refuses to bring back a session that outlived its absolute lifetime', async () => {
  const { api, raw } = testStore();
  const sid = newSid();
  await api.set(sid, sessionData({ isLoggedIn: true }));
  // Kept active: the idle deadline kept moving, the absolute one does not.
  await raw.updateOne({ _id: sid }, { $set: { expires: new Date(clock.now() + ABSOLUTE_TTL_MS + 60_000) } });
  const loaded = (await api.load(sid))!;
  clock.advance(ABSOLUTE_TTL_MS);
  loaded.returnTo = '/orders';
  const commands = await commandsOf(() => api.set(sid, loaded));
  expect(commands).toEqual([]);
  expect(await api.get(sid)).toBeNull();
});
