import type { Types } from 'mongoose';
import { Order } from '../../src/models/Order';
import { User } from '../../src/models/User';
import { csrfFrom, loggedInAgent, type Agent } from '../helpers/http';
import { PAYMENT_PAGE, cartOf, checkoutForm, postForm, someProduct } from '../helpers/shop';
import { leaksIn } from './support/pages';
import { useProxiedApp } from './support/proxiedApp';
import { waitFor } from '../../support/waitFor';

const shop = useProxiedApp();

afterEach(() => jest.restoreAllMocks());

/** A logged-in user with two of one product and one of another in the cart. */
async function userWithCart() {
  const { agent, user } = await loggedInAgent(shop().app);
  const [mug, tea] = [await someProduct(), await someProduct()];
  for (const product of [mug, mug, tea]) {
    expect((await postForm(agent, '/cart', { productId: product.id }, '/products')).status).toBe(302);
  }
  const cart = [
    { productId: mug.id, quantity: 2 },
    { productId: tea.id, quantity: 1 },
  ];
  expect(await cartOf(user._id)).toEqual(cart);
  return { agent, user, cart };
}

const ordersOf = (userId: Types.ObjectId) => Order.find({ userId }).lean();

/** Submits the order form again, as the browser's retry would (without showing the cart first). */
async function submitOrder(agent: Agent) {
  const _csrf = csrfFrom((await agent.get('/orders')).text);
  return agent
    .post('/checkout')
    .type('form')
    .send({ _csrf, ...checkoutForm() });
}

/**
 * Waits until both MongoDB clients answer again after `proxy.restore()`, on a page that leaves the
 * cart alone (showing the cart would settle an interrupted order).
 */
async function backOnline(agent: Agent) {
  await waitFor('the orders page after the outage', async () => (await agent.get('/orders')).status === 200);
}

describe('placing an order while the database fails', () => {
  it('reports the failure and keeps the cart when the link goes before the order is written', async () => {
    const { agent, user, cart } = await userWithCart();
    const _csrf = csrfFrom((await agent.get('/cart')).text);
    const create = Order.create.bind(Order);
    jest.spyOn(Order, 'create').mockImplementation(((...args: Parameters<typeof create>) => {
      shop().proxy.cut();
      return create(...args);
    }) as typeof Order.create);

    const response = await agent
      .post('/checkout')
      .type('form')
      .send({ _csrf, ...checkoutForm() });
    expect(response.status).toBe(503);
    expect(response.headers.location).toBeUndefined();
    expect(leaksIn(response.text)).toEqual([]);

    jest.restoreAllMocks();
    shop().proxy.restore();
    await backOnline(agent);
    expect(await ordersOf(user._id)).toHaveLength(0);
    expect(await cartOf(user._id)).toEqual(cart);

    // The retry goes through: one order with everything, an empty cart.
    expect((await submitOrder(agent)).headers.location).toMatch(PAYMENT_PAGE);
    const orders = await ordersOf(user._id);
    expect(orders.map((order) => order.lines.map((line) => line.quantity))).toEqual([[2, 1]]);
    expect(await cartOf(user._id)).toEqual([]);
  }, 60_000);

  it('never empties the cart without an order when the link goes after the order is written', async () => {
    const { agent, user, cart } = await userWithCart();
    const _csrf = csrfFrom((await agent.get('/cart')).text);
    const create = Order.create.bind(Order);
    jest.spyOn(Order, 'create').mockImplementation((async (...args: Parameters<typeof create>) => {
      const order = await create(...args);
      shop().proxy.cut();
      return order;
    }) as typeof Order.create);

    const response = await agent
      .post('/checkout')
      .type('form')
      .send({ _csrf, ...checkoutForm() });
    expect(response.status).toBe(503);
    expect(leaksIn(response.text)).toEqual([]);

    jest.restoreAllMocks();
    shop().proxy.restore();
    await backOnline(agent);
    // The order exists and the cart still holds its items: nothing was lost.
    expect(await ordersOf(user._id)).toHaveLength(1);
    expect(await cartOf(user._id)).toEqual(cart);

    // Submitting again (the user saw an error) orders nothing twice.
    const retry = await submitOrder(agent);
    expect(retry.headers.location).toMatch(PAYMENT_PAGE);
    expect(await ordersOf(user._id)).toHaveLength(1);
  }, 60_000);

  it('takes the items out once when the link goes after they left the cart, before the order is marked', async () => {
    const { agent, user, cart } = await userWithCart();
    const _csrf = csrfFrom((await agent.get('/cart')).text);
    // The last step of a checkout is marking the order settled: the link goes just before it.
    const updateOne = Order.updateOne.bind(Order);
    jest.spyOn(Order, 'updateOne').mockImplementation(((...args: Parameters<typeof updateOne>) => {
      // (Marking the stock taken comes before: the link stays up for it.)
      if (JSON.stringify(args[1]).includes('cartSettled')) shop().proxy.cut();
      return updateOne(...args);
    }) as typeof Order.updateOne);

    const response = await agent
      .post('/checkout')
      .type('form')
      .send({ _csrf, ...checkoutForm() });
    expect(response.status).toBe(503);
    jest.restoreAllMocks();
    shop().proxy.restore();
    await backOnline(agent);
    const [order] = await ordersOf(user._id);
    expect(order?.cartSettled).toBe(false);
    expect(await cartOf(user._id)).toEqual([]);

    // The shopper adds an ordered product again, four times at once (four tabs): each request
    // finishes the interrupted settlement first, and none may take out what another just added.
    const mug = cart[0]!.productId;
    const _csrfNow = csrfFrom((await agent.get('/orders')).text);
    const adds = await Promise.all(
      [1, 2, 3, 4].map(() => agent.post('/cart').type('form').send({ _csrf: _csrfNow, productId: mug })),
    );
    expect(adds.map((add) => add.status)).toEqual([302, 302, 302, 302]);
    expect(await cartOf(user._id)).toEqual([{ productId: mug, quantity: 4 }]);
    expect((await ordersOf(user._id)).map((o) => o.cartSettled)).toEqual([true]);
  }, 60_000);

  it('creates one order for two submits of the same form at once', async () => {
    const { agent, user } = await userWithCart();
    const _csrf = csrfFrom((await agent.get('/cart')).text);
    const form = checkoutForm();
    const submit = () =>
      agent
        .post('/checkout')
        .type('form')
        .send({ _csrf, ...form });
    const answers = await Promise.all([submit(), submit()]);
    expect(answers.map((answer) => answer.status)).toEqual([303, 303]);
    expect(await ordersOf(user._id)).toHaveLength(1);
    expect(await cartOf(user._id)).toEqual([]);
    expect((await User.findById(user._id))?.cart.items).toHaveLength(0);
  });
});
