/**
 * The database commands of typical requests, counted with the driver's command monitoring on the
 * one client the app uses (mongoose's, which the session store shares). Deterministic, no timing: a
 * change that adds a round trip to one of these requests fails here. docs/database.md explains
 * each count.
 */
import mongoose from 'mongoose';
import request from 'supertest';
import { createApp } from '../../src/app';
import { sessionStoreOptions } from '../../src/config/session';
import { connectMongoose } from '../../src/db';
import { afterResponseSettled } from '../../src/lib/afterResponse';
import { createLogger } from '../../src/lib/logger';
import { openSessionStore, type MongoSessionStore } from '@fernhill/session-store';
import { CommandCounter, type MonitoredClient } from '../../support/commandCounter';
import { PASSWORD, createUser, csrfFrom, type Agent } from '../helpers/http';
import { postMultipart, someProduct, checkoutForm } from '../helpers/shop';
import { Order } from '../../src/models/Order';
import { Product } from '../../src/models/Product';
import { FERNHILL_SIGNATURE_HEADER, signWebhook } from '../../src/testPay';
import { tinyPng } from '../../support/images';
import { testConfig, uniqueDatabaseUri } from '../helpers/testApp';

const uri = uniqueDatabaseUri();
const config = testConfig();
const counter = new CommandCounter();
let store: MongoSessionStore;
let app: ReturnType<typeof createApp>;

beforeAll(async () => {
  await connectMongoose(uri, config, { monitorCommands: true });
  await Promise.all(Object.values(mongoose.models).map((model) => model.init()));
  counter.watch(mongoose.connection.getClient() as unknown as MonitoredClient);
  store = await openSessionStore(sessionStoreOptions(config, mongoose.connection, createLogger('silent')));
  app = createApp({ config, sessionStore: store, logger: createLogger('silent') });
});

afterAll(async () => {
  await store.close();
  await mongoose.connection.dropDatabase();
  await mongoose.disconnect();
});

/** The commands `send` caused, by "kind:collection", without the ones of other collections' setup. */
async function countsOf(send: () => Promise<unknown>) {
  counter.take();
  await send();
  // What a request starts after its response (events, mail) counts as its own.
  await afterResponseSettled();
  return counter.take();
}

const MB = 1024 * 1024;
const PRODUCT = {
  title: 'Counted Cup',
  price: '9.00',
  description: 'A cup to count by.',
  category: 'kitchen',
  stock: '10',
};

async function loggedInAgent(user?: { email: string }): Promise<Agent> {
  user ??= await createUser();
  const agent = request.agent(app);
  const page = await agent.get('/login');
  await agent
    .post('/login')
    .type('form')
    .send({ _csrf: csrfFrom(page.text), email: user.email, password: PASSWORD });
  return agent;
}

it('an anonymous product page reads the product and nothing of sessions', async () => {
  const product = await someProduct();
  const counts = await countsOf(() => request(app).get(`/products/${product.id}`).expect(200));
  expect(counts).toEqual({ 'read:products': 1 });
});

it('a logged-in page is 1 session read + 1 user read + its own queries, and writes nothing', async () => {
  await someProduct();
  const agent = await loggedInAgent();
  await agent.get('/products').expect(200);
  // Within the touch interval (60 s) an unchanged session is not written again.
  const counts = await countsOf(() => agent.get('/products').expect(200));
  expect(counts).toEqual({ 'read:sessions': 1, 'read:users': 1, 'read:products': 2 });
});

it('adding to the cart reads the cart once and writes it once, and the session once for its message', async () => {
  // Plus one read of orders: an order whose items a crash left in the cart is settled first.
  const product = await someProduct();
  const agent = await loggedInAgent();
  const _csrf = csrfFrom((await agent.get('/products')).text);
  const counts = await countsOf(() =>
    agent.post('/cart').type('form').send({ _csrf, productId: product.id }).expect(302),
  );
  expect(counts).toEqual({
    'read:sessions': 1,
    'read:users': 2,
    'read:products': 1,
    'read:orders': 1,
    'write:users': 1,
    'write:sessions': 1,
  });
});

it('a login reads the account once and writes a bounded, known set', async () => {
  // Two throttle counts taken before the password is compared, one cleared and one given back after
  // it matched; the new session stored. Opening the form stored no session, so none is read. A
  // browser without the account's device cookie also writes the user once (is this the account's
  // first sign-in? if not, the new-browser mail goes after the response). After the response, the
  // sign-in is inserted into the activity log. Once stored, the account's live sessions are read
  // once to keep them within MAX_SESSIONS_PER_USER (nothing is deleted under it).
  const user = await createUser();
  const agent = request.agent(app);
  const _csrf = csrfFrom((await agent.get('/login')).text);
  const counts = await countsOf(() =>
    agent.post('/login').type('form').send({ _csrf, email: user.email, password: PASSWORD }).expect(302),
  );
  expect(counts).toEqual({
    'read:users': 1,
    'read:sessions': 1,
    'write:users': 1,
    'write:securityevents': 1,
    'write:throttle_login_email': 2,
    'write:throttle_login_ip': 2,
    'write:sessions': 2,
  });
});

it('placing an order of one line takes its stock with a bounded, known set of commands', async () => {
  const product = await someProduct();
  const agent = await loggedInAgent();
  const fillCart = async () => {
    const fromProducts = csrfFrom((await agent.get('/products')).text);
    await agent.post('/cart').type('form').send({ _csrf: fromProducts, productId: product.id }).expect(302);
    return csrfFrom((await agent.get('/cart')).text);
  };
  const order = async (_csrf: string) =>
    agent
      .post('/checkout')
      .type('form')
      .send({ _csrf, ...checkoutForm() })
      .expect(303);
  // A first order, so that no first-use setup is counted.
  await order(await fillCart());
  const _csrf = await fillCart();
  const counts = await countsOf(() => order(_csrf));
  // Reads: the user (session's), the cart, the cart again in the claim's compare-and-swap; an order
  // of this form's one-time id, orders pending, and which claimed orders the cart may forget; the
  // products. Writes, one per step: the stock hold, the order's number and the order, its claim on
  // the cart, the order marked claimed, the product's take (with its marker), the order decided
  // taken, the payment's id on the order. No lock, on any server; no session write (the answer
  // sends the customer to pay, with no message). Test Pay's own (another company's) are listed apart.
  expect(counts).toEqual({
    'read:sessions': 1,
    'read:users': 3,
    'read:orders': 3,
    'read:products': 1,
    'write:stockholds': 1,
    'write:counters': 1,
    'write:orders': 4,
    'write:products': 1,
    'write:users': 1,
    'read:testpay.payments': 1,
    'write:testpay.payments': 1,
  });
});

it("a payment's webhook is recorded, applied and marked with a bounded, known set of commands", async () => {
  const product = await someProduct();
  const agent = await loggedInAgent();
  const fromProducts = csrfFrom((await agent.get('/products')).text);
  await agent.post('/cart').type('form').send({ _csrf: fromProducts, productId: product.id }).expect(302);
  const _csrf = csrfFrom((await agent.get('/cart')).text);
  await agent
    .post('/checkout')
    .type('form')
    .send({ _csrf, ...checkoutForm() })
    .expect(303);
  const order = (await Order.findOne({ 'lines.productId': product._id }))!;
  const body = JSON.stringify({
    id: `evt_counted_${order.id as string}`,
    type: 'payment.succeeded',
    created: Math.floor(Date.now() / 1000),
    data: {
      paymentId: order.payment!.id,
      reference: order.id as string,
      amountCents: order.totalCents,
      currency: 'usd',
    },
  });
  const send = () =>
    request(app)
      .post('/webhooks/payments')
      .set('Content-Type', 'application/json')
      .set(FERNHILL_SIGNATURE_HEADER, signWebhook(config.TEST_PAY_WEBHOOK_SECRET, body, Math.floor(Date.now() / 1000)))
      .send(body)
      .expect(200);
  // No session, no user: the event's record, the order's existence, the conditional update that
  // pays it, the hold's end, the record marked applied. Sent again, a duplicate: the record's
  // insert (refused) and its read.
  expect(await countsOf(send)).toEqual({
    'write:paymentevents': 2,
    'read:orders': 1,
    'write:orders': 1,
    'write:stockholds': 1,
  });
  expect(await countsOf(send)).toEqual({ 'write:paymentevents': 1, 'read:paymentevents': 1 });
});

describe('uploaded images', () => {
  const png = (size: number) => Buffer.concat([tinyPng(), Buffer.alloc(size - tinyPng().length, 1)]);

  it('serving one reads its file document, then the file for the stream and its chunks; a 304 only the first', async () => {
    const admin = await loggedInAgent(await createUser(undefined, PASSWORD, 4, 'admin'));
    // The first upload of a process checks (and creates) the bucket's indexes; count a later one.
    await postMultipart(
      admin,
      '/admin/add-product',
      { ...PRODUCT, title: 'First Cup' },
      {
        from: '/admin/add-product',
        files: [{ bytes: tinyPng(), filename: 'first.png' }],
      },
    );
    const counts = await countsOf(() =>
      postMultipart(admin, '/admin/add-product', PRODUCT, {
        from: '/admin/add-product',
        files: [{ bytes: png(2 * MB), filename: 'big.png' }],
      }),
    );
    // 2 MB in GridFS's 255 KiB chunks: 9 chunk inserts and the file document.
    // (The form's page and the post each read the session and the user; the flash message is written.)
    expect(counts).toEqual({
      'read:sessions': 2,
      'read:users': 2,
      'write:sessions': 2,
      'write:images.chunks': 9,
      'write:images.files': 1,
      'write:products': 1,
    });

    const { imageUrl } = (await Product.findOne({ title: PRODUCT.title }).lean())!;
    const served = await countsOf(() => request(app).get(imageUrl).expect(200));
    expect(served).toEqual({ 'read:images.files': 2, 'read:images.chunks': 1 });
    const cached = await countsOf(() =>
      request(app)
        .get(imageUrl)
        .set('If-None-Match', `"${imageUrl.slice(-24)}"`)
        .expect(304),
    );
    expect(cached).toEqual({ 'read:images.files': 1 });
  });
});

it('a login beyond MAX_SESSIONS_PER_USER adds one delete of sessions and one event', async () => {
  // The same store and counter, on an app that keeps one session per account.
  const capped = createApp({
    config: testConfig({ MAX_SESSIONS_PER_USER: '1' }),
    sessionStore: store,
    logger: createLogger('silent'),
  });
  const user = await createUser();
  const logInOnce = async () => {
    const agent = request.agent(capped);
    const _csrf = csrfFrom((await agent.get('/login')).text);
    return () => agent.post('/login').type('form').send({ _csrf, email: user.email, password: PASSWORD }).expect(302);
  };
  await (
    await logInOnce()
  )();
  const second = await logInOnce();
  const counts = await countsOf(second);
  expect(counts).toEqual({
    'read:users': 1,
    'read:sessions': 1,
    'write:users': 1,
    // The sign-in, the sessions ended by the cap, and (another browser, without the account's
    // device cookie) the new-device event with its mail's "this wasn't me" token.
    'write:securityevents': 3,
    'write:accounttokens': 1,
    'write:throttle_login_email': 2,
    'write:throttle_login_ip': 2,
    // The pre-login session deleted, the new one inserted, the oldest one deleted.
    'write:sessions': 3,
  });
});
