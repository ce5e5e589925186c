import { trusted, type Types } from 'mongoose';
import { changesQueuedOn } from '../../src/db/serialized';
import { Order } from '../../src/models/Order';
import { Product } from '../../src/models/Product';
import { csrfFrom, loggedInAgent, type Agent } from '../helpers/http';
import { testServer } from '../helpers/server';
import { PAYMENT_PAGE, cartOf, checkOut, checkoutForm, postForm, someProduct } from '../helpers/shop';
import { useProxiedApp } from './support/proxiedApp';
import type { SeenCommand } from './support/tcpProxy';
import { waitFor } from '../../support/waitFor';

/**
 * A checkout made slow at an exact command (held at the proxy, as a slow or paused instance's
 * would be) while the same customer goes on in another tab: correctness must not depend on which
 * gets there first. Timeouts are generous: the held command is released by the test, never by time.
 */
const shop = useProxiedApp({ MONGODB_TIMEOUT_MS: '20000' });
const STOCK = 10;

const stockOf = async (...ids: Types.ObjectId[]) =>
  (await Product.find({ _id: trusted({ $in: ids }) }).lean()).map((product) => [product.title, product.stock]);

/** Sends the order form of the cart page as it is now, without waiting for the answer. */
async function startOrder(agent: Agent) {
  const _csrf = csrfFrom((await agent.get('/cart')).text);
  return agent
    .post('/checkout')
    .type('form')
    .send({ _csrf, ...checkoutForm() })
    .then((response) => response);
}

const writesTo =
  (name: 'insert' | 'update', collection: string) =>
  (command: SeenCommand): boolean =>
    command.name === name && command.collection === collection;

it('refuses a slow order made from a cart that was ordered meanwhile: every item in exactly one order', async () => {
  const { agent, user } = await loggedInAgent(shop().app);
  const [mug, tea] = [
    await someProduct({ title: 'Race Mug', stock: STOCK }),
    await someProduct({ title: 'Race Tea', stock: STOCK }),
  ];
  expect((await postForm(agent, '/cart', { productId: mug.id }, '/products')).status).toBe(302);

  // Tab A places the order; its order's insert is held (a slow instance).
  const held = shop().proxy.hold(writesTo('insert', 'orders'));
  const slow = startOrder(agent);
  await held.arrived;

  // Tab B adds another item and orders the whole cart, while A's order is on its way.
  expect((await postForm(agent, '/cart', { productId: tea.id }, '/products')).status).toBe(302);
  const fast = await checkOut(agent);
  expect(fast.headers.location).toMatch(PAYMENT_PAGE);

  held.release();
  const late = await slow;
  // Told plainly, on the cart page.
  expect(late.headers.location).toBe('/cart');
  expect((await agent.get('/cart')).text).toContain('Your cart changed while this order was being placed');

  const orders = await Order.find({ userId: user._id }).lean();
  expect(orders.map((order) => order.lines.map((line) => [line.title, line.quantity]))).toEqual([
    [
      ['Race Mug', 1],
      ['Race Tea', 1],
    ],
  ]);
  expect(await cartOf(user._id)).toEqual([]);
  expect(await stockOf(mug._id, tea._id)).toEqual([
    ['Race Mug', STOCK - 1],
    ['Race Tea', STOCK - 1],
  ]);
});

/**
 * The first stock take of tab A's order is held; then the customer's next request (tab B, viewing
 * the cart) finds the order unfinished and finishes it. Where updates are atomic, B really runs
 * meanwhile; where they are not (one process, changes to a product in turn: src/db/serialized.ts),
 * B waits for A's turn, and the test releases A once B is queued.
 */
async function releaseOnceTheOtherIsIn(held: { release(): void }, other: Promise<unknown>, productKey: string) {
  if (testServer.atomicUpdates) await other;
  else await waitFor('the other request to queue on the product', async () => changesQueuedOn(productKey) >= 2);
  held.release();
}

it('takes the stock of an order once when a paused checkout and the next request both finish it', async () => {
  const { agent, user } = await loggedInAgent(shop().app);
  const [mug, tea] = [
    await someProduct({ title: 'Paused Mug', stock: STOCK }),
    await someProduct({ title: 'Paused Tea', stock: STOCK }),
  ];
  for (const product of [mug, mug, tea]) await postForm(agent, '/cart', { productId: product.id }, '/products');

  const held = shop().proxy.hold(writesTo('update', 'products'));
  const paused = startOrder(agent);
  await held.arrived;
  const next = agent.get('/cart').then((response) => response);
  await releaseOnceTheOtherIsIn(held, next, `product:${mug.id as string}`);

  expect((await paused).headers.location).toMatch(PAYMENT_PAGE);
  expect((await next).status).toBe(200);
  const orders = await Order.find({ userId: user._id }).lean();
  expect(orders.map((order) => order.stockState)).toEqual(['taken']);
  expect(await stockOf(mug._id, tea._id)).toEqual([
    ['Paused Mug', STOCK - 2],
    ['Paused Tea', STOCK - 1],
  ]);
  expect(await cartOf(user._id)).toEqual([]);
});

it('takes nothing for good when the next request voids an order a paused checkout is still taking', async () => {
  const { agent, user } = await loggedInAgent(shop().app);
  const [mug, tea] = [
    await someProduct({ title: 'Void Mug', stock: STOCK }),
    await someProduct({ title: 'Void Tea', stock: STOCK }),
  ];
  for (const product of [mug, tea]) await postForm(agent, '/cart', { productId: product.id }, '/products');

  const held = shop().proxy.hold(writesTo('update', 'products'));
  const paused = startOrder(agent);
  await held.arrived;
  // The tea sells out elsewhere meanwhile: whoever finishes the order finds its second line short.
  await Product.updateOne({ _id: tea._id }, { $set: { stock: 0 } });
  const next = agent.get('/cart').then((response) => response);
  await releaseOnceTheOtherIsIn(held, next, `product:${mug.id as string}`);

  expect((await paused).headers.location).toBe('/cart');
  expect((await next).status).toBe(200);
  expect(await Order.countDocuments({ userId: user._id })).toBe(0);
  // The mug's take (by whichever got there) went back, and the late one was barred.
  expect(await stockOf(mug._id, tea._id)).toEqual([
    ['Void Mug', STOCK],
    ['Void Tea', 0],
  ]);
  // The items are back in the cart, once.
  expect(await cartOf(user._id)).toEqual([
    { productId: mug.id, quantity: 1 },
    { productId: tea.id, quantity: 1 },
  ]);
});
