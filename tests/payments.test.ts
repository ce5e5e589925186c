import mongoose, { type Types } from 'mongoose';
import request from 'supertest';
import { paymentsOf } from '../src/app';
import { Order, type OrderDocument } from '../src/models/Order';
import { PaymentEvent } from '../src/models/PaymentEvent';
import { Product } from '../src/models/Product';
import { StockHold } from '../src/models/StockHold';
import { migratePlacedOrders } from '../src/models/migrations';
import { FERNHILL_SIGNATURE_HEADER, signWebhook } from '../src/testPay';
import { useControlledClock } from './helpers/clock';
import { csrfToken, loggedInAdmin, loggedInAgent, type Agent } from './helpers/http';
import { subjectsTo, waitForMails } from './helpers/outbox';
import { CARDS, PAYMENT_PAGE, cartOf, checkOut, checkoutForm, payAt, postForm, someProduct } from './helpers/shop';
import { useAppOn, useTestDatabase, type TestApp } from './helpers/testApp';

/**
 * Paying for an order through Fernhill Test Pay, over the wire on the test database: each card,
 * the stock hold and its end, webhooks duplicated, late, out of order and forged, the checkout
 * form's Idempotency-Key, refunds. Test Pay's webhooks go into the app in-process (testApp.ts).
 */
const database = useTestDatabase();
const shop = useAppOn(database);
const app = () => shop().app;

const stockOf = async (product: { _id: unknown }) => (await Product.findById(product._id).lean())?.stock;
const orderOf = async (userId: Types.ObjectId) => (await Order.findOne({ userId }))!;
const testPayPayments = () => mongoose.connection.db!.collection('testpay.payments');

/** A signed-in customer with `quantity` of `product` in the cart. */
async function customerWith(testApp: TestApp, product: { _id: unknown }, quantity = 1) {
  const customer = await loggedInAgent(testApp.app);
  await customer.user.mergeCart([{ productId: product._id as never, quantity }]);
  return customer;
}

/** Checks the cart out; resolves to the payment page it was sent to. */
async function checkedOut(agent: Agent, fields: Record<string, string> = {}): Promise<string> {
  const answer = await checkOut(agent, fields);
  expect([answer.status, answer.headers.location]).toEqual([303, expect.stringMatching(PAYMENT_PAGE)]);
  return answer.headers.location!;
}

/** A webhook as Test Pay would send it, signed with the shop's secret (or another), at `at`. */
function webhook(
  testApp: TestApp,
  event: object,
  { secret = testApp.config.TEST_PAY_WEBHOOK_SECRET, at = new Date() } = {},
) {
  const body = JSON.stringify(event);
  return request(testApp.app)
    .post('/webhooks/payments')
    .set('Content-Type', 'application/json')
    .set(FERNHILL_SIGNATURE_HEADER, signWebhook(secret, body, Math.floor(at.getTime() / 1000)))
    .send(body);
}

const eventFor = (order: OrderDocument, type: string, id: string, extra: object = {}) => ({
  id,
  type,
  created: Math.floor(Date.now() / 1000),
  data: {
    paymentId: order.payment!.id!,
    reference: order.id as string,
    amountCents: order.totalCents,
    currency: 'usd',
    ...extra,
  },
});

describe('paying for an order', () => {
  it('with the success card: the order is paid once the webhook is in, its hold ends, the customer is mailed', async () => {
    const vase = await someProduct({ title: 'Paid Vase', priceCents: 2000, stock: 3 });
    const { agent, user, email } = await customerWith(shop(), vase, 2);
    const paymentPage = await checkedOut(agent, { shipping: 'express' });

    let order = await orderOf(user._id);
    expect([order.status, order.totalCents, order.shipping?.method]).toEqual([
      'awaiting_payment',
      4000 + 1495,
      'express',
    ]);
    expect(order.address).toMatchObject({ name: 'Ada Lovelace', postcode: 'N1 9GU' });
    expect(await stockOf(vase)).toBe(1);
    expect(await StockHold.countDocuments({ _id: order._id })).toBe(1);
    expect(await cartOf(user._id)).toEqual([]);
    // Test Pay shows what is to be paid.
    expect((await agent.get(new URL(paymentPage).pathname)).text).toContain('$54.95');

    const back = await payAt(agent, paymentPage, CARDS.success);
    expect([back.status, back.headers.location]).toEqual([303, `http://localhost:3000/orders/${order.id}`]);
    order = await orderOf(user._id);
    expect([order.status, order.payment?.paidAt instanceof Date]).toEqual(['paid', true]);
    expect(await StockHold.countDocuments({ _id: order._id })).toBe(0);
    expect(await stockOf(vase)).toBe(1);
    const page = await agent.get(`/orders/${order.id}`);
    expect(page.text).toContain('Paid: thank you!');
    expect(page.text).toContain(`reference ${order.payment!.id!}`);
    expect((await waitForMails(email, 1))[0]).toContain('Thank you! We received your payment');
  });

  it.each([
    ['declined', CARDS.declined, 'Your card was declined.'],
    ['refused for insufficient funds', CARDS.insufficientFunds, 'Your card has insufficient funds.'],
  ])('%s: the order fails, its stock and cart items come back once, the customer is told', async (_, card, reason) => {
    const lamp = await someProduct({ title: 'Unpaid Lamp', stock: 4 });
    const { agent, user, email } = await customerWith(shop(), lamp, 3);
    const paymentPage = await checkedOut(agent);
    expect(await stockOf(lamp)).toBe(1);

    await payAt(agent, paymentPage, card);
    const order = await orderOf(user._id);
    expect([order.status, order.payment?.failureReason, order.stockState, order.cartRestore]).toEqual([
      'payment_failed',
      reason,
      'returned',
      'done',
    ]);
    expect(await stockOf(lamp)).toBe(4);
    expect(await cartOf(user._id)).toEqual([{ productId: lamp.id, quantity: 3 }]);
    const page = await agent.get(`/orders/${order.id}`);
    expect(page.text).toContain('Your payment did not go through; your items are back in the cart.');
    expect(page.text).toContain(reason);
    // Nothing comes back twice: the sweep and the cart page find it finished.
    await paymentsOf(app()).flow.sweep();
    await agent.get('/cart').expect(200);
    expect([await stockOf(lamp), await cartOf(user._id)]).toEqual([4, [{ productId: lamp.id, quantity: 3 }]]);
    expect((await waitForMails(email, 1))[0]).toContain(`did not go through: ${reason}`);
  });

  it('refuses an invalid card number on the payment page and keeps the order waiting', async () => {
    const cup = await someProduct({ stock: 2 });
    const { agent, user } = await customerWith(shop(), cup);
    const paymentPage = await checkedOut(agent);
    const refused = await payAt(agent, paymentPage, '1234 5678 9012 3456');
    expect(refused.status).toBe(422);
    expect(refused.text).toContain('This card number is not valid.');
    const order = await orderOf(user._id);
    expect(order.status).toBe('awaiting_payment');
    // The return page says so, and offers to pay again while the hold lasts.
    const page = await agent.get(`/orders/${order.id}`);
    expect(page.text).toContain('Waiting for confirmation of your payment');
    expect(page.headers.refresh).toBe('5');
    const again = await postForm(agent, `/orders/${order.id}/pay`, {}, `/orders/${order.id}`);
    expect([again.status, again.headers.location]).toEqual([303, paymentPage]);
  });
});

describe('the checkout form', () => {
  it('keeps what was typed and says what is wrong (422), and orders nothing', async () => {
    const pen = await someProduct({ stock: 5 });
    const { agent, user } = await customerWith(shop(), pen);
    const answer = await checkOut(agent, { name: '', postcode: '!', shipping: 'teleport', city: 'Bath' });
    expect(answer.status).toBe(422);
    expect(answer.text).toContain('Enter the name of who receives it');
    expect(answer.text).toContain('Enter the postcode: 3 to 12 letters');
    expect(answer.text).toContain('Choose standard or express shipping.');
    expect(answer.text).toContain('value="Bath"');
    expect(await Order.countDocuments({ userId: user._id })).toBe(0);
    expect(await stockOf(pen)).toBe(5);
  });

  it('keeps the address for next time when asked to', async () => {
    const pen = await someProduct({ stock: 5 });
    const { agent, user } = await customerWith(shop(), pen);
    await checkedOut(agent, { saveAddress: 'on', line1: '7 Kept Street' });
    await user.mergeCart([{ productId: pen._id, quantity: 1 }]);
    expect((await agent.get('/checkout')).text).toContain('value="7 Kept Street"');
  });

  it('makes one order and one payment from one form sent twice, at once or after a lost answer', async () => {
    const jar = await someProduct({ stock: 5 });
    const { agent, user } = await customerWith(shop(), jar, 2);
    const _csrf = await csrfToken(agent, '/checkout');
    const form = checkoutForm();
    const send = () =>
      agent
        .post('/checkout')
        .type('form')
        .send({ _csrf, ...form });
    const answers = [...(await Promise.all([send(), send()])), await send()];
    expect(answers.map((answer) => answer.status)).toEqual([303, 303, 303]);
    expect(new Set(answers.map((answer) => answer.headers.location)).size).toBe(1);
    expect(await Order.countDocuments({ userId: user._id })).toBe(1);
    const order = await orderOf(user._id);
    expect(await testPayPayments().countDocuments({ reference: order.id as string })).toBe(1);
    expect(await stockOf(jar)).toBe(3);
  });
});

describe('the Idempotency-Key header', () => {
  it('stands for the form id: the same key sent twice makes one order; none at all is a 400', async () => {
    const tin = await someProduct({ stock: 5 });
    const { agent, user } = await customerWith(shop(), tin);
    const _csrf = await csrfToken(agent, '/checkout');
    const { formId, ...fields } = checkoutForm();
    const send = (key?: string) => {
      const post = agent.post('/checkout').type('form');
      return (key ? post.set('Idempotency-Key', key) : post).send({ _csrf, ...fields });
    };
    expect((await send()).status).toBe(400);
    const [first, second] = [await send(formId), await send(formId)];
    expect([first.status, second.status]).toEqual([303, 303]);
    expect(second.headers.location).toBe(first.headers.location);
    expect(await Order.countDocuments({ userId: user._id })).toBe(1);
  });
});

describe('the stock hold', () => {
  const clock = useControlledClock();

  it('keeps the last unit from another customer until it ends, then gives it back once', async () => {
    const last = await someProduct({ title: 'Last Teapot', stock: 1 });
    const first = await customerWith(shop(), last);
    const second = await customerWith(shop(), last);
    const paymentPage = await checkedOut(first.agent);
    const order = await orderOf(first.user._id);
    expect(order.holdExpiresAt!.getTime()).toBe(clock.now() + 15 * 60_000);

    // Held: refused to the other, and the cards say so.
    const refused = await checkOut(second.agent);
    expect(refused.headers.location).toBe('/cart');
    expect((await second.agent.get('/cart')).text).toContain('“Last Teapot” is out of stock.');
    // Ending the first customer's sessions changes nothing of it.
    await postForm(first.agent, '/logout', {}, '/');
    clock.advance(14 * 60_000);
    await paymentsOf(app()).flow.sweep();
    expect((await Order.findById(order._id))?.status).toBe('awaiting_payment');

    clock.advance(60_000 + 1);
    // Twice: the second finds it ended (the sweeps of other instances too).
    await paymentsOf(app()).flow.sweep();
    await paymentsOf(app()).flow.sweep();
    const lapsed = await Order.findById(order._id);
    expect([lapsed?.status, lapsed?.payment?.failureReason]).toEqual([
      'payment_failed',
      'The time to pay ran out, so your items were released.',
    ]);
    expect(await stockOf(last)).toBe(1);
    expect(await cartOf(first.user._id)).toEqual([{ productId: last.id, quantity: 1 }]);
    // The payment page refuses too, and the other customer buys it now.
    const page = await request(app()).get(new URL(paymentPage).pathname);
    expect(page.status).toBe(410);
    expect((await checkOut(second.agent)).status).toBe(303);
    expect(await stockOf(last)).toBe(0);
  });

  it('ends the hold of an account deleted meanwhile: its stock comes back, once, and nothing is left to do', async () => {
    const kite = await someProduct({ stock: 3 });
    const { agent, user } = await customerWith(shop(), kite, 2);
    await checkedOut(agent);
    const order = await orderOf(user._id);
    // As the account's deletion leaves its orders: without their customer.
    await Order.updateOne({ _id: order._id }, { $unset: { userId: 1, email: 1 } });
    clock.advance(15 * 60_000 + 1);
    await paymentsOf(app()).flow.sweep();
    const ended = await Order.findById(order._id);
    expect([ended?.status, ended?.stockState, ended?.cartRestore]).toEqual(['payment_failed', 'returned', 'done']);
    expect(await stockOf(kite)).toBe(3);
    expect(await paymentsOf(app()).flow.sweep()).toMatchObject({ released: 0 });
  });

  it('refunds a payment that arrives after the hold ended: the money is never kept without the goods', async () => {
    const bell = await someProduct({ stock: 2 });
    const { agent, user } = await customerWith(shop(), bell);
    await checkedOut(agent);
    const order = await orderOf(user._id);
    clock.advance(15 * 60_000 + 1);
    await paymentsOf(app()).flow.sweep();
    // Paid at the last moment, its webhook after the sweep (as Stripe's longer sessions allow).
    await testPayPayments().updateOne({ _id: order.payment!.id! as never }, { $set: { state: 'succeeded' } });
    const late = await webhook(shop(), eventFor(order, 'payment.succeeded', 'evt_late_pay'));
    expect(late.status).toBe(200);
    const refunded = await Order.findById(order._id);
    expect(refunded?.status).toBe('payment_failed');
    expect(refunded?.payment?.refund).toMatchObject({ reason: 'late', amountCents: order.totalCents });
    expect(refunded?.payment?.refund?.id).toMatch(/^re_/);
    expect(await stockOf(bell)).toBe(2);
  });
});

describe('webhooks', () => {
  it('are refused (400) when forged or stale, and change nothing', async () => {
    const box = await someProduct({ stock: 2 });
    const { agent, user } = await customerWith(shop(), box);
    await checkedOut(agent);
    const order = await orderOf(user._id);
    const paid = eventFor(order, 'payment.succeeded', 'evt_forged');
    expect((await webhook(shop(), paid, { secret: 'not-the-shared-secret' })).status).toBe(400);
    expect((await webhook(shop(), paid, { at: new Date(Date.now() - 5 * 60_000 - 2000) })).status).toBe(400);
    expect((await request(app()).post('/webhooks/payments').send(JSON.stringify(paid))).status).toBe(400);
    expect((await Order.findById(order._id))?.status).toBe('awaiting_payment');
    expect(await PaymentEvent.countDocuments({ eventId: 'evt_forged' })).toBe(0);
  });

  it('never let a late "failed" undo a "paid", and apply an event delivered twice once', async () => {
    const stool = await someProduct({ stock: 3 });
    const { agent, user, email } = await customerWith(shop(), stool);
    await payAt(agent, await checkedOut(agent), CARDS.success);
    const order = await orderOf(user._id);
    const paidEvent = await PaymentEvent.findOne({ orderId: order.id as string, type: 'payment.succeeded' }).lean();

    const failed = eventFor(order, 'payment.failed', 'evt_failed_after_paid', { failureReason: 'Declined.' });
    expect((await webhook(shop(), failed)).status).toBe(200);
    expect((await webhook(shop(), eventFor(order, 'payment.succeeded', paidEvent!.eventId))).body).toMatchObject({
      outcome: 'duplicate',
    });
    const now = await Order.findById(order._id);
    expect([now?.status, now?.history.map((change) => change.status)]).toEqual(['paid', ['awaiting_payment', 'paid']]);
    expect(await stockOf(stool)).toBe(2);
    await waitForMails(email, 1);
    expect(await subjectsTo(email)).toEqual([expect.stringMatching(/^Payment received/)]);
  });
});

describe('with Test Pay misdelivering on purpose', () => {
  describe.each([['duplicate'], ['out-of-order']])('%s', (chaos) => {
    const chaotic = useAppOn(database, { TEST_PAY_CHAOS: chaos });

    it('ends with the order paid, cancelled and refunded once, its stock given back once', async () => {
      const rug = await someProduct({ stock: 4 });
      const { agent, user, email } = await customerWith(chaotic(), rug, 2);
      const back = await payAt(agent, await checkedOut(agent), CARDS.success);
      expect(back.status).toBe(303);
      const order = await orderOf(user._id);
      const { testPay } = paymentsOf(chaotic().app);
      await testPay!.deliverDue();
      expect((await Order.findById(order._id))?.status).toBe('paid');

      await postForm(agent, `/orders/${order.id}/cancel`, {}, `/orders/${order.id}`);
      await testPay!.deliverDue();
      const cancelled = await Order.findById(order._id);
      expect([cancelled?.status, cancelled?.payment?.refund?.state, cancelled?.stockState]).toEqual([
        'cancelled',
        'refunded',
        'returned',
      ]);
      expect(await stockOf(rug)).toBe(4);
      const payment = await testPayPayments().findOne({ reference: order.id as string });
      expect(payment?.refundedCents).toBe(order.totalCents);
      await waitForMails(email, 2);
      const subjects = await subjectsTo(email);
      expect(subjects.filter((subject) => subject.startsWith('Payment received'))).toHaveLength(1);
      expect(subjects.filter((subject) => subject.startsWith('Refund made'))).toHaveLength(1);
    });
  });

  describe('late', () => {
    const chaotic = useAppOn(database, { TEST_PAY_CHAOS: 'late' });
    const clock = useControlledClock();

    it('shows "waiting for confirmation" until the webhook arrives, then "paid"', async () => {
      const pot = await someProduct({ stock: 2 });
      const { agent, user } = await customerWith(chaotic(), pot);
      await payAt(agent, await checkedOut(agent), CARDS.success);
      const order = await orderOf(user._id);
      expect((await agent.get(`/orders/${order.id}`)).text).toContain('Waiting for confirmation of your payment');
      clock.advance(31_000);
      expect(await paymentsOf(chaotic().app).testPay!.deliverDue()).toMatchObject({ delivered: 1 });
      expect((await agent.get(`/orders/${order.id}`)).text).toContain('Paid: thank you!');
    });
  });

  describe('bad-signature', () => {
    const chaotic = useAppOn(database, { TEST_PAY_CHAOS: 'bad-signature' });

    it('leaves the order waiting: the shop refuses every delivery', async () => {
      const pan = await someProduct({ stock: 2 });
      const { agent, user } = await customerWith(chaotic(), pan);
      await payAt(agent, await checkedOut(agent), CARDS.success);
      const order = await orderOf(user._id);
      expect(order.status).toBe('awaiting_payment');
      // Refused before anything was recorded; Test Pay keeps it to send again.
      expect(await PaymentEvent.countDocuments({ orderId: order.id as string })).toBe(0);
      const deliveries = await mongoose.connection.db!.collection('testpay.deliveries').find().toArray();
      const ours = deliveries.filter(
        (delivery) =>
          (JSON.parse(delivery.body as string) as { data: { reference: string } }).data.reference === order.id,
      );
      expect(ours.map((delivery) => [delivery.attempts, delivery.deliveredAt])).toEqual([[1, null]]);
    });
  });
});

describe('cancelling a paid order', () => {
  it('by an admin once shipped: refunded through the provider, stock back once, the customer mailed', async () => {
    const chair = await someProduct({ stock: 5 });
    const { agent, user, email } = await customerWith(shop(), chair, 2);
    await payAt(agent, await checkedOut(agent), CARDS.success);
    const order = await orderOf(user._id);
    const admin = await loggedInAdmin(app());
    await postForm(admin.agent, `/admin/orders/${order.id}/status`, { status: 'shipped' }, '/admin/orders');
    // The customer may no longer cancel; an admin may.
    expect((await postForm(agent, `/orders/${order.id}/cancel`, {}, `/orders/${order.id}`)).status).toBe(409);
    await postForm(admin.agent, `/admin/orders/${order.id}/status`, { status: 'cancelled' }, '/admin/orders');

    const cancelled = await Order.findById(order._id);
    expect(cancelled?.payment?.refund).toMatchObject({
      state: 'refunded',
      reason: 'cancelled',
      amountCents: order.totalCents,
    });
    expect(await stockOf(chair)).toBe(5);
    const mails = await waitForMails(email, 4);
    expect(mails.some((mail) => mail.includes(`We refunded $`))).toBe(true);
    // The admins' list shows it, and finds it by its payment.
    const refunded = (await admin.agent.get('/admin/orders?payment=refunded')).text;
    expect(refunded).toContain(`/orders/${order.id}`);
    expect((await admin.agent.get('/admin/orders?payment=paid')).text).not.toContain(`/orders/${order.id}`);
    expect((await admin.agent.get('/admin/orders?payment=nonsense')).status).toBe(400);
  });

  it('retries a refund the provider could not take, from the sweep, and makes one', async () => {
    const desk = await someProduct({ stock: 2 });
    const { agent, user } = await customerWith(shop(), desk);
    await payAt(agent, await checkedOut(agent), CARDS.success);
    const order = await orderOf(user._id);
    const { testPay, flow } = paymentsOf(app());
    const refund = jest.spyOn(testPay!, 'refund').mockRejectedValueOnce(new Error('Test Pay is down'));
    await postForm(agent, `/orders/${order.id}/cancel`, {}, `/orders/${order.id}`);
    expect((await Order.findById(order._id))?.payment?.refund?.state).toBe('requested');
    expect(await flow.sweep()).toMatchObject({ refunds: 1 });
    refund.mockRestore();
    expect((await Order.findById(order._id))?.payment?.refund?.state).toBe('refunded');
    expect(await flow.sweep()).toMatchObject({ refunds: 0 });
  });
});

describe('orders placed before payments', () => {
  it('become paid, with nothing to refund, and keep their history', async () => {
    const { user } = await loggedInAgent(app());
    const legacy = await Order.collection.insertOne({
      number: 99_001,
      status: 'placed',
      history: [{ status: 'placed', at: new Date(), by: { userId: user._id, email: user.email, role: 'customer' } }],
      userId: user._id,
      email: user.email,
      lines: [],
      totalCents: 500,
      cartSettled: true,
      createdAt: new Date(),
    });
    expect(await migratePlacedOrders()).toBeGreaterThanOrEqual(1);
    expect(await migratePlacedOrders()).toBe(0);
    const migrated = await Order.findById(legacy.insertedId);
    expect([migrated?.status, migrated?.payment?.provider, migrated?.history[0]?.status]).toEqual([
      'paid',
      'none',
      'placed',
    ]);
  });
});
