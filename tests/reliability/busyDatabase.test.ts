import http from 'node:http';
import type { AddressInfo } from 'node:net';
import ConnectionString from 'mongodb-connection-string-url';
import mongoose from 'mongoose';
import { connectMongoose } from '../../src/db';
import { someProduct } from '../helpers/shop';
import { buildApp, testConfig, uniqueDatabaseUri, type TestApp } from '../helpers/testApp';
import { CommandGate } from './support/commandGate';
import { databaseServer } from './support/tcpProxy';
import { WebClient, type Page } from '../../support/webClient';

const TIMEOUT_MS = 1000;

let gate: CommandGate;
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
  server = http.createServer(shop.app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  productPath = `/products/${(await someProduct({ title: 'Queued teapot' })).id as string}`;
});

afterAll(async () => {
  gate.dropHeld();
  await new Promise((resolve) => server.close(resolve));
  await shop.close().catch(() => {});
  await mongoose.connection.dropDatabase().catch(() => {});
  await mongoose.disconnect();
  await gate.close();
});

/**
 * One request holds mongoose's only connection (its products query is held at the gate, until the
 * driver gives up on that command after MONGODB_TIMEOUT_MS + 1 s); a second request for a product
 * page waits for the connection meanwhile, past its own deadline.
 */
async function queuedBehindAHeldCommand(whileWaiting: (done: Promise<Page>) => Promise<void>) {
  const held = gate.hold((command) => command.name === 'find' && command.collection === 'products');
  const first = new WebClient(baseUrl, { agent: false }).get('/products');
  await held;
  const queued = new WebClient(baseUrl, { agent: false }).get(productPath);
  await whileWaiting(queued);
  const [, page] = await Promise.all([first, queued]);
  gate.dropHeld();
  return page;
}

describe('a request past its deadline (src/db/deadline.ts)', () => {
  it('waits on while the database answers other commands (busy, not gone), and is served', async () => {
    // The database answers the session store's pings, one after another, until the page comes.
    const page = await queuedBehindAHeldCommand(async (done) => {
      let answered = false;
      void done.finally(() => (answered = true));
      while (!answered) await shop.store.ping();
    });
    expect([page.status, page.text]).toEqual([200, expect.stringContaining('Queued teapot')]);
    expect(page.ms).toBeGreaterThan(TIMEOUT_MS);
  });

  it('answers 503 with Retry-After at its deadline when the database answers nothing', async () => {
    const page = await queuedBehindAHeldCommand(async () => {});
    expect([page.status, page.headers['retry-after']]).toEqual([503, '5']);
    expect(page.ms).toBeLessThanOrEqual(TIMEOUT_MS + 1000);
  });
});
