/**
 * The store runs on the app's MongoDB client (mongoose's connection): one driver, one client, one
 * pool. Shown with the driver's own events: command monitoring on mongoose's client sees the
 * session commands, and every connection pool created belongs to mongoose's client.
 */
import path from 'node:path';
import session from 'express-session';
import { MongoClient } from 'mongodb';
import mongoose from 'mongoose';
import { connectMongoose } from '../../src/db';
import { afterResponseSettled } from '../../src/lib/afterResponse';
import { MongoSessionStore } from '@fernhill/session-store';
import { CommandCounter, type MonitoredClient } from '../../support/commandCounter';
import { loggedInAgent } from '../helpers/http';
import { buildApp, testConfig, uniqueDatabaseUri, type TestApp } from '../helpers/testApp';
import { sessionData } from './support';
import { storedSession } from '../helpers/testApp';

const uri = uniqueDatabaseUri();
// Every client of the driver emits its connection pool events through MongoClient#emit; the spy
// calls through, and records which client emitted what.
const emit = jest.spyOn(MongoClient.prototype, 'emit');
const connect = jest.spyOn(MongoClient.prototype, 'connect');
const counter = new CommandCounter();
let shop: TestApp;

/** The clients that created a connection pool since the spy's last clear. */
const clientsWithNewPools = () =>
  new Set(emit.mock.contexts.filter((_client, i) => emit.mock.calls[i]?.[0] === 'connectionPoolCreated'));

beforeAll(async () => {
  await connectMongoose(uri, testConfig(), { monitorCommands: true });
  counter.watch(mongoose.connection.getClient() as unknown as MonitoredClient);
});

afterAll(async () => {
  await shop?.close();
  await mongoose.connection.dropDatabase().catch(() => {});
  await mongoose.disconnect();
  emit.mockRestore();
  connect.mockRestore();
});

it("loads one copy of the driver: connect-mongodb-session's is mongoose's", () => {
  const from = (file: string) => require.resolve('mongodb', { paths: [path.dirname(file)] });
  expect(from(require.resolve('connect-mongodb-session'))).toBe(from(require.resolve('mongoose')));
});

it("opens on mongoose's client, connecting no client and creating no pool of its own", async () => {
  const appClient = mongoose.connection.getClient();
  // Mongoose's own connect created its pool: the one expected.
  expect(clientsWithNewPools()).toEqual(new Set([appClient]));
  emit.mockClear();
  connect.mockClear();

  shop = await buildApp(uri);

  expect(shop.store.client).toBe(appClient);
  expect(shop.store.ownsClient).toBe(false);
  expect(connect).not.toHaveBeenCalled();
  expect(clientsWithNewPools()).toEqual(new Set());
  // Opening it sent its commands (its ping and indexes) through mongoose's client.
  expect(counter.take()).toMatchObject({ 'other:-': expect.any(Number), 'write:sessions': expect.any(Number) });
});

it("sends a login's and the store's session commands through mongoose's client", async () => {
  counter.take();
  emit.mockClear();

  await loggedInAgent(shop.app);
  await afterResponseSettled();
  const login = counter.take();
  const sid = `sid-${Date.now()}`;
  await new Promise((resolve) => shop.store.set(sid, sessionData({ isLoggedIn: false }), resolve));
  await storedSession(shop.store, sid);
  const getAndSet = counter.take();

  // The login stored its session (and what it reads of it) on the app's client.
  expect(login).toMatchObject({ 'write:sessions': expect.any(Number) });
  expect(getAndSet).toEqual({ 'write:sessions': 1, 'read:sessions': 1 });
  expect(connect).not.toHaveBeenCalled();
  expect(clientsWithNewPools()).toEqual(new Set());
});

it("leaves mongoose's client open when the store closes", async () => {
  const other = await buildApp(uri);
  await other.close();
  expect(await other.store.ping()).toBe(false);
  expect(await mongoose.connection.db!.command({ ping: 1 })).toMatchObject({ ok: 1 });
  expect(await shop.store.ping()).toBe(true);
});

it('still makes, connects and closes a client of its own when given a uri (the detector sees it)', async () => {
  emit.mockClear();
  connect.mockClear();
  const own = new MongoSessionStore({ uri }, () => {});
  expect(await own.initialConnectionPromise).toBe(own.client);

  expect(own.ownsClient).toBe(true);
  expect(own.client).not.toBe(mongoose.connection.getClient());
  expect(connect).toHaveBeenCalledTimes(1);
  expect(clientsWithNewPools()).toEqual(new Set([own.client]));
  await own.close();
  await expect(own.client.db().command({ ping: 1 })).rejects.toThrow();
});

it("is a MongoDBStore on a given client: the base's options, defaults and methods, no uri beside it", async () => {
  const client = mongoose.connection.getClient();
  const store = new MongoSessionStore({ client }, () => {});
  await store.initialConnectionPromise;

  expect(store).toBeInstanceOf(session.Store);
  expect(store.options).toMatchObject({ collection: 'sessions', expires: 14 * 24 * 60 * 60 * 1000, idField: '_id' });
  expect(store.userPath).toBe('session.userId');
  // The base's own clear() runs on the given client.
  await new Promise<void>((resolve, reject) => store.clear((err: unknown) => (err ? reject(err) : resolve())));
  await store.close();
  expect(() => new MongoSessionStore({ client, uri })).toThrow('either a client or a uri');
  expect(() => new MongoSessionStore({ client, listedFields: ['expires'] })).toThrow('listed field');
  expect(() => new MongoSessionStore({ client, userIdField: '$where' })).toThrow('userIdField');
});
