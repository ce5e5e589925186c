import mongoose, { trusted } from 'mongoose';
import { Order } from '../../src/models/Order';
import { PaymentEvent } from '../../src/models/PaymentEvent';
import { Product } from '../../src/models/Product';
import { User } from '../../src/models/User';
import { CHECKOUT_ADDRESS, addToCart, logIn, placeOrder, sentToPay } from '../../support/shopFlows';
import { ShopProcess } from '../../support/shopProcess';
import { waitFor } from '../../support/waitFor';
import { WebClient } from '../../support/webClient';
import { createUser } from '../helpers/http';
import { CARDS, someProduct } from '../helpers/shop';
import { useTestDatabase } from '../helpers/testApp';

/**
 * A server process killed (SIGKILL, from inside at an exact step: src/lib/faults.ts) while it
 * applies a payment's webhook. Test Pay lives in the same process, its deliveries in the database:
 * the next process sends the event again, and the order ends paid (or failed) exactly once, with
 * its stock exact. One process at a time (FerretDB allows no more; src/db/soleInstance.ts).
 */
const database = useTestDatabase();
const STARTING_STOCK = 10;
let running: ShopProcess | undefined;

afterEach(async () => {
  await running?.stop();
  running = undefined;
});

/** A customer of `shop` with two of a fresh product in the cart, checked out: the payment page's path. */
async function checkedOutAt(shop: ShopProcess) {
  const product = await someProduct({ stock: STARTING_STOCK });
  const { email } = await createUser();
  const client = new WebClient(shop.url);
  await logIn(client, email);
  for (let i = 0; i < 2; i += 1) await addToCart(client, product.id as string);
  const answer = await placeOrder(client);
  expect(sentToPay(answer)).toBe(true);
  const user = await User.findOne({ email }).lean();
  return { client, product, userId: user!._id, paymentPath: new URL(answer.location!).pathname };
}

/** Sends Test Pay's card form as the customer does; resolves to how the request ended. */
async function pay(client: WebClient, paymentPath: string, card: string) {
  const page = await client.get(paymentPath);
  const token = /name="token" value="([^"]+)"/.exec(page.text)?.[1];
  if (!token) throw new Error(`no payment form at ${paymentPath}`);
  return client.post(paymentPath, { token, cardNumber: card, expiry: '12/39', cvc: '123' }).then(
    (answer) => `answered ${answer.status}`,
    (err: Error) => err.message,
  );
}

/**
 * Kills the process mid-webhook, then starts the next one. The dead sender's claim on the delivery
 * (a lease, so that two instances seldom send one event) is let run out at once, as time would.
 */
async function crashWhilePaying(step: string, card: string) {
  const doomed = await ShopProcess.start({ databaseUri: database(), env: { FAULT_CRASH_AT: step } });
  await doomed.waitUntil('is ready', (status) => status === 200);
  const customer = await checkedOutAt(doomed);
  // The webhook comes back into the same process, which dies applying it: the customer's
  // payment page gets no answer.
  expect(await pay(customer.client, customer.paymentPath, card)).toMatch(/socket hang up|ECONNRESET|fetch failed/);
  expect(await doomed.exitWithin(10_000)).toEqual({ code: null, signal: 'SIGKILL' });
  await mongoose.connection
    .db!.collection('testpay.deliveries')
    .updateMany({ deliveredAt: null }, { $set: { nextAttemptAt: new Date(0) } });

  running = await ShopProcess.start({ databaseUri: database() });
  await running.waitUntil('is ready', (status) => status === 200);
  return customer;
}

it('applies a "paid" webhook a crash interrupted once the provider sends it again: paid once, stock exact', async () => {
  const { product, userId } = await crashWhilePaying('payment:event-recorded', CARDS.success);
  const order = await Order.findOne({ userId });
  // Recorded, not applied: the crash came between the two.
  expect([order?.status, (await PaymentEvent.findOne({ orderId: order!.id as string }))?.appliedAt]).toEqual([
    'awaiting_payment',
    null,
  ]);

  await waitFor('the event applied', () =>
    PaymentEvent.exists({ orderId: order!.id as string, appliedAt: trusted({ $ne: null }) }),
  );
  const paid = await Order.findById(order!._id);
  expect(paid?.history.map((change) => change.status)).toEqual(['awaiting_payment', 'paid']);
  expect((await Product.findById(product._id).lean())?.stock).toBe(STARTING_STOCK - 2);
  expect(await PaymentEvent.countDocuments({ orderId: order!.id as string, appliedAt: trusted({ $ne: null }) })).toBe(
    1,
  );
}, 90_000);

it('finishes a failed payment a crash interrupted: the stock and the cart items come back once', async () => {
  const { client, product, userId } = await crashWhilePaying('payment:failed-decided', CARDS.declined);
  const order = await Order.findOne({ userId });
  expect([order?.status, order?.stockState]).toEqual(['payment_failed', 'returning']);

  // The customer's next look at the cart finishes it; the webhook sent again changes nothing more.
  expect((await client.at(running!.url).get('/cart')).status).toBe(200);
  await waitFor('the event applied', () =>
    PaymentEvent.exists({ orderId: order!.id as string, appliedAt: trusted({ $ne: null }) }),
  );
  const done = await Order.findById(order!._id);
  expect([done?.status, done?.stockState, done?.cartRestore]).toEqual(['payment_failed', 'returned', 'done']);
  expect((await Product.findById(product._id).lean())?.stock).toBe(STARTING_STOCK);
  const user = await User.findById(userId).lean();
  expect(user?.cart.items.map((item) => [item.productId.toString(), item.quantity])).toEqual([[product.id, 2]]);
  expect(done?.address?.name).toBe(CHECKOUT_ADDRESS.name);
}, 90_000);
