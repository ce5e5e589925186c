import http from 'node:http';
import type { AddressInfo } from 'node:net';
import ConnectionString from 'mongodb-connection-string-url';
import mongoose from 'mongoose';
import { connectMongoose } from '../../src/db';
import { Order } from '../../src/models/Order';
import { Product } from '../../src/models/Product';
import { PASSWORD, createUser } from '../helpers/http';
import { cartOf, someProduct } from '../helpers/shop';
import {
  buildApp,
  storedSessionId,
  storedUserKey,
  testConfig,
  uniqueDatabaseUri,
  type TestApp,
} from '../helpers/testApp';
import { CommandGate, mentions, type WireCommand } from './support/commandGate';
import { leaksIn } from './support/pages';
import { FerretDbProcess } from './support/ferretDbProcess';
import { TcpProxy, databaseServer } from './support/tcpProxy';
import { addToCart, logIn, placeOrder } from '../../support/shopFlows';
import { waitFor } from '../../support/waitFor';
import { WebClient, type Page } from '../../support/webClient';

/** The production default: the budget every request below has for all its database work. */
const TIMEOUT_MS = 3000;
const STOCK = 10;

/** `uri` reaching its server through a local port (the gate), and only through it. */
function through(uri: string, port: number): string {
  const parsed = new ConnectionString(uri);
  parsed.hosts = [`127.0.0.1:${port}`];
  parsed.searchParams.set('directConnection', 'true');
  parsed.searchParams.delete('replicaSet');
  return parsed.toString();
}

/** A way to make the database stop answering, and to let it go on. */
interface Hang {
  name: string;
  /** Where the database is reached; the test puts a gate in front of it. */
  target: { host: string; port: number };
  databaseUri: string;
  start(): void;
  end(): void;
  close(): Promise<void>;
}

interface HeldShop {
  hang: Hang;
  gate: CommandGate;
  shop: TestApp;
  server: http.Server;
  baseUrl: string;
}

/** The app → a gate that holds chosen commands → the database, which `hangOf()`'s hang can make stop answering. */
function useHeldShop(hangOf: () => Promise<Hang>): HeldShop {
  const rig = {} as HeldShop;
  beforeAll(async () => {
    rig.hang = await hangOf();
    rig.gate = await CommandGate.start(rig.hang.target);
    const uri = through(rig.hang.databaseUri, rig.gate.port);
    const env = { MONGODB_TIMEOUT_MS: String(TIMEOUT_MS) };
    await connectMongoose(uri, testConfig(env));
    await Promise.all(Object.values(mongoose.models).map((model) => model.init()));
    rig.shop = await buildApp(uri, env);
    rig.server = http.createServer(rig.shop.app);
    await new Promise<void>((resolve) => rig.server.listen(0, '127.0.0.1', resolve));
    rig.baseUrl = `http://127.0.0.1:${(rig.server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    rig.hang.end();
    rig.gate.dropHeld();
    await new Promise((resolve) => rig.server.close(resolve));
    await rig.shop.close().catch(() => {});
    await mongoose.connection.dropDatabase().catch(() => {});
    await mongoose.disconnect();
    await rig.gate.close();
    await rig.hang.close();
  });
  return rig;
}

async function loggedIn(baseUrl: string) {
  const user = await createUser();
  const client = new WebClient(baseUrl, { agent: false });
  await logIn(client, user.email);
  return { user, client };
}

/** The session id in a client's signed cookie (`s:<id>.<signature>`). */
function sessionIdOf(client: WebClient): string {
  const value = decodeURIComponent(client.cookie('shop.sid') ?? '');
  return value.slice(2, value.lastIndexOf('.'));
}

const id = (doc: { _id: mongoose.Types.ObjectId }) => doc._id.toHexString();
const isWrite = (command: WireCommand) => ['update', 'findAndModify', 'insert'].includes(command.name);

/**
 * Five visitors' requests in flight, each waiting for the database at a step of its own; then the
 * database stops answering anyone. Each must answer within the budget plus one second: 503 with
 * Retry-After, or the whole page if its status went out before the wait. Measured by the client
 * from sending to the last byte, with no further margin (the deadline answers at the budget plus a
 * few tens of milliseconds). Once the database is back, the checkout it abandoned is either an
 * order with its stock taken and its items out of the cart, or nothing.
 */
async function heldInFlight({ hang, gate, baseUrl }: HeldShop) {
  // Arrange: four visitors, each about to do something that needs the database.
  const reader = await loggedIn(baseUrl);
  const readerSession = storedSessionId(sessionIdOf(reader.client));
  const adder = await loggedIn(baseUrl);
  const toAdd = await someProduct({ title: 'Held kettle', stock: STOCK });
  const buyer = await loggedIn(baseUrl);
  const toBuy = await someProduct({ title: 'Held teapot', stock: STOCK });
  expect((await addToCart(buyer.client, id(toBuy))).status).toBe(302);
  const newcomer = await createUser();
  const login = new WebClient(baseUrl, { agent: false });
  await login.refreshCsrf('/login');
  const browser = await loggedIn(baseUrl);
  const browserSession = storedSessionId(sessionIdOf(browser.client));
  // Last written two minutes ago: its next page moves its expiry, inside express-session's res.end.
  await mongoose.connection
    .collection<{ _id: string }>('sessions')
    .updateOne({ _id: browserSession }, { $set: { lastModified: new Date(Date.now() - 120_000) } });

  // Each request is held at a step of its own, on either client: the first read of a session
  // (the store's), the cart's write, the checkout's stock take (a dozen commands in, holding
  // the order's lock), the new session's insert after the password check (the store's), and the
  // session's touch once a page is rendered and its status sent (the store's, in res.end).
  const requests: Array<[what: string, held: Promise<WireCommand>, send: () => Promise<Page>]> = [
    [
      'GET /orders (logged in)',
      gate.hold((c) => c.name === 'find' && c.collection === 'sessions' && mentions(c.body, readerSession)),
      () => reader.client.get('/orders'),
    ],
    [
      'POST /cart (add)',
      gate.hold((c) => isWrite(c) && c.collection === 'users' && mentions(c.body, id(adder.user))),
      () => addToCart(adder.client, id(toAdd)),
    ],
    [
      'POST /checkout',
      gate.hold((c) => isWrite(c) && c.collection === 'products' && mentions(c.body, id(toBuy))),
      () => placeOrder(buyer.client),
    ],
    [
      'POST /login',
      // The new session names its user by an HMAC (its data is sealed).
      gate.hold(
        (c) => c.name === 'insert' && c.collection === 'sessions' && mentions(c.body, storedUserKey(id(newcomer))),
      ),
      () => login.post('/login', { email: newcomer.email, password: PASSWORD }),
    ],
    [
      'GET /products (logged in, touched at its end)',
      gate.hold((c) => c.name === 'update' && c.collection === 'sessions' && mentions(c.body, browserSession)),
      () => browser.client.get('/products'),
    ],
  ];

  // Act: send all four; once each is waiting at its step, the database stops answering anyone.
  const answers = requests.map(([, , send]) => send());
  await Promise.all(
    requests.map(([what, held], i) =>
      Promise.race([
        held,
        answers[i]!.then((page) => {
          throw new Error(`${what} answered ${page.status} before it reached its held command`);
        }),
      ]),
    ),
  );
  hang.start();
  const pages = await Promise.all(answers);

  // Assert: every one answered "try again", with Retry-After, within the budget plus one second.
  const report = pages.map((page, i) => ({
    what: requests[i]![0],
    status: page.status,
    retryAfter: page.headers['retry-after'],
    withinBudget: page.ms <= TIMEOUT_MS + 1000,
    leaks: leaksIn(page.text),
  }));
  const slowest = Math.max(...pages.map((page) => page.ms));
  console.log(
    `held in flight (${hang.name}), MONGODB_TIMEOUT_MS=${TIMEOUT_MS}: ` +
      pages.map((page, i) => `${requests[i]![0]} ${page.status} in ${Math.round(page.ms)} ms`).join('; ') +
      `; slowest ${Math.round(slowest)} ms`,
  );
  // The touched page had sent its 200 before the touch: it is delivered whole, on time.
  const answered = (what: string) =>
    what.includes('touched')
      ? { what, status: 200, retryAfter: undefined, withinBudget: true, leaks: [] }
      : { what, status: 503, retryAfter: '5', withinBudget: true, leaks: [] };
  expect(report).toEqual(requests.map(([what]) => answered(what)));
  expect(pages[requests.length - 1]!.text).toContain('</html>');

  // Once it answers again: the shop works, and the checkout it abandoned is either an order with
  // its stock taken and its items out of the cart, or nothing at all (showing the cart finishes it).
  hang.end();
  gate.dropHeld();
  await waitFor('the buyer’s cart page', async () => (await buyer.client.get('/cart')).status === 200, 30_000);
  const ordered = (await Order.find({ userId: buyer.user._id })).flatMap((order) =>
    order.lines.filter((line) => line.productId.equals(toBuy._id)).map((line) => line.quantity),
  );
  const inCart = (await cartOf(buyer.user._id)).filter((item) => item.productId === id(toBuy));
  const stock = (await Product.findById(toBuy._id))?.stock;
  expect({
    placesTheItemIsIn: ordered.length + inCart.length,
    stockAccountedFor: (stock ?? 0) + ordered.reduce((a, b) => a + b, 0),
  }).toEqual({ placesTheItemIsIn: 1, stockAccountedFor: STOCK });
  expect((await reader.client.get('/orders')).status).toBe(200);
}

const IN_FLIGHT =
  'answers each request in flight within MONGODB_TIMEOUT_MS + 1 s, 503 with Retry-After, and leaves nothing half done';

describe('a database that stops answering while requests are in flight: a network black hole', () => {
  const rig = useHeldShop(async () => {
    const proxy = await TcpProxy.start(databaseServer());
    return {
      name: 'black hole',
      target: { host: '127.0.0.1', port: proxy.port },
      databaseUri: uniqueDatabaseUri(),
      start: () => proxy.blackHole(),
      end: () => proxy.restore(),
      close: () => proxy.close(),
    };
  });
  it(IN_FLIGHT, () => heldInFlight(rig), 90_000);
});

describe('a database that stops answering while requests are in flight: FerretDB stopped (SIGSTOP)', () => {
  const rig = useHeldShop(async () => {
    const ferretDb = await FerretDbProcess.start();
    return {
      name: 'SIGSTOP',
      target: { host: '127.0.0.1', port: ferretDb.port },
      databaseUri: ferretDb.uri('shop_test_held'),
      start: () => ferretDb.pause(),
      end: () => ferretDb.resume(),
      close: () => ferretDb.stop(),
    };
  });
  it(IN_FLIGHT, () => heldInFlight(rig), 90_000);
});
