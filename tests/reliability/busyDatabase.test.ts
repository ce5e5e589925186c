import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { MongoClient } from 'mongodb';
import ConnectionString from 'mongodb-connection-string-url';
import mongoose from 'mongoose';
import { DatabaseDeadlineError, connectMongoose, startDatabaseDeadline } from '../../src/db';
import { Product } from '../../src/models/Product';
import { someProduct } from '../helpers/shop';
import { buildApp, testConfig, uniqueDatabaseUri, type TestApp } from '../helpers/testApp';
import { CommandGate } from './support/commandGate';
import { databaseServer } from './support/tcpProxy';
import { WebClient, type Page } from '../../support/webClient';

const TIMEOUT_MS = 1000;

let gate: CommandGate;
/** Another client of the same database (the session store shares mongoose's, whose one connection is held). */
let other: MongoClient;
let shop: TestApp;
let server: http.Server;
let baseUrl: string;
let productPath: string;

beforeAll(async () => {
  // The app → a gate that holds chosen commands → the database. One pooled connection per client,
  // so that one held command makes the next request wait for a connection.
  gate = await CommandGate.start(databaseServer());
  const parsed = new ConnectionString(uniqueDatabaseUri());
  parsed.hosts = [`127.0.0.1:${gate.port}`];
  parsed.searchParams.set('directConnection', 'true');
  parsed.searchParams.set('maxPoolSize', '1');
  const uri = parsed.toString();
  const env = { MONGODB_TIMEOUT_MS: String(TIMEOUT_MS) };
  await connectMongoose(uri, testConfig(env));
  await Promise.all(Object.values(mongoose.models).map((model) => model.init()));
  shop = await buildApp(uri, env);
  other = new MongoClient(uri);
  server = http.createServer(shop.app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  productPath = `/products/${(await someProduct({ title: 'Queued teapot' })).id as string}`;
});

afterAll(async () => {
  gate.dropHeld();
  await new Promise((resolve) => server.close(resolve));
  await shop.close().catch(() => {});
  await other.close();
  await mongoose.connection.dropDatabase().catch(() => {});
  await mongoose.disconnect();
  await gate.close();
});

/**
 * A query outside any request takes mongoose's only connection and is held at the gate (the driver
 * gives up on it after MONGODB_TIMEOUT_MS + 1 s, its own limit for a command sent); a request for a
 * product page waits for the connection meanwhile, past its deadline.
 */
async function queuedBehindAHeldCommand(whileWaiting: (done: Promise<Page>) => Promise<void>) {
  const held = gate.hold((command) => command.name === 'find' && command.collection === 'products');
  const holder = Product.findOne().then(
    () => 'answered',
    (err: unknown) => err,
  );
  await held;
  const queued = new WebClient(baseUrl, { agent: false }).get(productPath);
  await whileWaiting(queued);
  const [, page] = await Promise.all([holder, queued]);
  gate.dropHeld();
  return page;
}

describe('a request past its deadline (src/db/deadline.ts)', () => {
  it('waits on while the database answers other commands (busy, not gone), and is served', async () => {
    // The database answers another client's pings, one after another, until the page comes.
    const page = await queuedBehindAHeldCommand(async (done) => {
      let answered = false;
      void done.finally(() => (answered = true));
      while (!answered) await other.db().command({ ping: 1 });
    });
    expect([page.status, page.text]).toEqual([200, expect.stringContaining('Queued teapot')]);
    expect(page.ms).toBeGreaterThan(TIMEOUT_MS);
  });

  it('fails a command it starts once its deadline has passed, before it waits for anything', async () => {
    const held = gate.hold((command) => command.name === 'find' && command.collection === 'products');
    const deadline = startDatabaseDeadline(TIMEOUT_MS);
    const outcome = await deadline.run(async () => {
      const first = await Product.findOne().then(
        () => 'answered',
        (err: unknown) => err,
      );
      // The deadline closed the only connection under the held command. A new one would never be
      // ready (the gate holds its handshake): only the deadline can end this write. (A cursor, as
      // a find or a count, looks at the signal itself.)
      const handshake = gate.hold((command) => command.opening);
      const later = await Promise.race([
        Product.updateOne({ title: 'No such teapot' }, { $set: { stock: 0 } }).then(
          () => 'answered',
          (err: unknown) => err,
        ),
        handshake.then(() => 'waited for a new connection'),
      ]);
      return { first, later };
    });
    deadline.clear();
    await held;
    gate.dropHeld();
    expect(outcome.first).toBeInstanceOf(DatabaseDeadlineError);
    expect(outcome.later).toBeInstanceOf(DatabaseDeadlineError);
  });

  it('answers 503 with Retry-After at its deadline when the database answers nothing', async () => {
    const page = await queuedBehindAHeldCommand(async () => {});
    expect([page.status, page.headers['retry-after']]).toEqual([503, '5']);
    expect(page.ms).toBeLessThanOrEqual(TIMEOUT_MS + 1000);
  });
});
