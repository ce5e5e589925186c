/**
 * The store reuses the application's connection: given a MongoClient or a mongoose Connection it
 * sends every command through that client, opens no pool of its own and leaves the client open
 * when it closes; given a uri it makes, owns and closes its own.
 */
import { MongoClient } from 'mongodb';
import mongoose from 'mongoose';
import { MongoSessionStore, openSessionStore } from '../src';
import { sessionCommandsDuring } from './support/commands';
import { CLIENT_OPTIONS, uniqueDatabaseUri } from './support/server';
import { newSid, promised, sessionData } from './support/store';

// Every client of the driver emits its pool events through MongoClient#emit; the spy calls through.
const emit = jest.spyOn(MongoClient.prototype, 'emit');
const poolsCreatedBy = () =>
  new Set(emit.mock.contexts.filter((_client, i) => emit.mock.calls[i]?.[0] === 'connectionPoolCreated'));
afterAll(() => emit.mockRestore());

/** The names of the session commands that `client` sends while `work` runs. */
const sessionCommandsOn = async (client: MongoClient, work: () => Promise<unknown>) =>
  (await sessionCommandsDuring(client, work)).map(({ commandName }) => commandName);

/** A get and a set through the store, as a request would. */
async function getAndSet(store: MongoSessionStore) {
  const sid = newSid();
  await promised(store).set(sid, sessionData({ isLoggedIn: true }));
  return promised(store).get(sid);
}

it('runs on a given MongoClient: its commands on that client, no pool of its own, the client left open', async () => {
  const client = await new MongoClient(uniqueDatabaseUri(), { ...CLIENT_OPTIONS, monitorCommands: true }).connect();
  try {
    emit.mockClear();
    const store = await openSessionStore({ client, maxAgeMs: 60_000, expiry: { sweepEveryMs: 3_600_000 } });
    expect(await sessionCommandsOn(client, () => getAndSet(store))).toEqual(['insert', 'find']);
    expect(poolsCreatedBy()).toEqual(new Set());
    expect(store.client).toBe(client);
    await store.close();
    await expect(client.db().command({ ping: 1 })).resolves.toMatchObject({ ok: 1 });
    await store.db.dropDatabase();
  } finally {
    await client.close();
  }
});

it('runs on a mongoose Connection, and follows the new client mongoose makes when it connects again', async () => {
  const connection = mongoose.createConnection();
  const uri = uniqueDatabaseUri();
  try {
    await connection.openUri(uri, { ...CLIENT_OPTIONS, monitorCommands: true });
    emit.mockClear();
    const store = await openSessionStore({ client: connection, maxAgeMs: 60_000, expiry: { sweepEveryMs: 3_600_000 } });
    expect(store.db.databaseName).toBe(connection.name);
    const first = connection.getClient() as unknown as MongoClient;
    expect(await sessionCommandsOn(first, () => getAndSet(store))).toEqual(['insert', 'find']);
    expect(poolsCreatedBy()).toEqual(new Set());

    await connection.close();
    await connection.openUri(uri, { ...CLIENT_OPTIONS, monitorCommands: true });
    const second = connection.getClient() as unknown as MongoClient;
    expect(second).not.toBe(first);
    expect(await sessionCommandsOn(second, () => getAndSet(store))).toEqual(['insert', 'find']);
    await store.close();
    await connection.dropDatabase();
  } finally {
    await connection.close();
  }
});

it('makes, owns and closes a client of its own when given a uri, as its base does', async () => {
  emit.mockClear();
  const store = new MongoSessionStore({ uri: uniqueDatabaseUri(), connectionOptions: CLIENT_OPTIONS }, () => {});
  expect(await store.initialConnectionPromise).toBe(store.client);
  expect(poolsCreatedBy()).toEqual(new Set([store.client]));
  expect(store.ownsClient).toBe(true);
  await getAndSet(store);
  await store.db.dropDatabase();
  await store.close();
  await expect(store.db.command({ ping: 1 })).rejects.toThrow();
});
