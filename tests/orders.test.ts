import { Types, trusted } from 'mongoose';
import { LateOrderError } from '../src/services/settlement';
import { Order } from '../src/models/Order';
import { Product } from '../src/models/Product';
import { User } from '../src/models/User';
import { placeOrder } from '../src/services/checkout';
import { csrfToken, loggedInAgent } from './helpers/http';
import { cartOf, checkOut, checkoutDetails, checkoutForm, postForm, someProduct } from './helpers/shop';
import { useTestApp } from './helpers/testApp';

const testApp = useTestApp();
const app = () => testApp().app;

describe('orders', () => {
  it('turns the cart into an order with line totals and a total, then empties the cart', async () => {
    const { agent, user } = await loggedInAgent(app());
    const mug = await someProduct({ title: 'Order Mug', priceCents: 1800 });
    const pad = await someProduct({ title: 'Order Pad', priceCents: 450 });
    await user.mergeCart([
      { productId: mug._id, quantity: 2 },
      { productId: pad._id, quantity: 3 },
    ]);

    const response = await checkOut(agent);
    // To the provider's page, to pay for it.
    expect(response.status).toBe(303);
    expect(response.headers.location).toMatch(/^http:\/\/localhost:3000\/test-pay\/pay_/);

    const page = await agent.get('/orders');
    expect(page.text).toContain('awaiting payment');
    expect(page.text).toContain('Order Mug');
    expect(page.text).toContain('$36.00');
    expect(page.text).toContain('$13.50');
    // $49.50 of items, $4.95 of standard shipping.
    expect(page.text).toMatch(/Shipping \(standard\)<\/th><td>\$4\.95/);
    expect(page.text).toContain('$54.45');
    expect(await cartOf(user._id)).toEqual([]);
  });

  it('refuses an empty cart with a message and creates nothing', async () => {
    const { agent, user } = await loggedInAgent(app());
    const response = await checkOut(agent);
    expect(response.headers.location).toBe('/cart');
    expect((await agent.get('/cart')).text).toContain('Your cart is empty: add something');
    expect(await Order.countDocuments({ userId: user._id })).toBe(0);
  });

  it('keeps what was bought even after the product is renamed and deleted', async () => {
    const { agent, user } = await loggedInAgent(app());
    const product = await someProduct({ title: 'Original Name', priceCents: 999 });
    await user.mergeCart([{ productId: product._id, quantity: 1 }]);
    await checkOut(agent);

    await Product.updateOne({ _id: product._id }, { title: 'Renamed', priceCents: 1 });
    await Product.deleteOne({ _id: product._id });

    const page = await agent.get('/orders');
    expect(page.text).toContain('Original Name');
    expect(page.text).toContain('$9.99');
    expect(page.text).not.toContain('Renamed');
  });

  it('shows each user only their own orders, newest first', async () => {
    const alice = await loggedInAgent(app());
    const bob = await loggedInAgent(app());
    const first = await someProduct({ title: 'Alice First' });
    const second = await someProduct({ title: 'Alice Second' });
    for (const product of [first, second]) {
      await alice.user.mergeCart([{ productId: product._id, quantity: 1 }]);
      await checkOut(alice.agent);
    }

    const alicePage = (await alice.agent.get('/orders')).text;
    expect(alicePage.indexOf('Alice Second')).toBeLessThan(alicePage.indexOf('Alice First'));
    const bobPage = (await bob.agent.get('/orders')).text;
    expect(bobPage).not.toContain('Alice');
    expect(bobPage).toContain('No orders yet');
  });

  it('creates one order and one payment when the same form is sent three times at once (a triple click)', async () => {
    const { agent, user } = await loggedInAgent(app());
    const product = await someProduct();
    await user.mergeCart([{ productId: product._id, quantity: 2 }]);
    const _csrf = await csrfToken(agent, '/cart');
    const form = checkoutForm();

    const responses = await Promise.all(
      [1, 2, 3].map(() =>
        agent
          .post('/checkout')
          .type('form')
          .send({ _csrf, ...form }),
      ),
    );

    expect(responses.map((r) => r.status)).toEqual([303, 303, 303]);
    // One order, one payment: every answer sends the customer to the same payment page.
    expect(new Set(responses.map((r) => r.headers.location)).size).toBe(1);
    expect(await Order.countDocuments({ userId: user._id })).toBe(1);
    expect(await cartOf(user._id)).toEqual([]);
  });

  it("answers a double click whose twin finished while it was on its way with the twin's payment", async () => {
    const { agent, user } = await loggedInAgent(app());
    const product = await someProduct();
    await user.mergeCart([{ productId: product._id, quantity: 1 }]);
    const _csrf = await csrfToken(agent, '/cart');
    const form = checkoutForm();
    const first = await agent
      .post('/checkout')
      .type('form')
      .send({ _csrf, ...form });
    // The second looked for its form's order before the first had written it, and finds the cart
    // emptied by it: that order is its answer, not "your cart is empty".
    const findOrder = Order.findOne.bind(Order);
    jest.spyOn(Order, 'findOne').mockImplementationOnce(() => findOrder({ _id: new Types.ObjectId() }));
    const second = await agent
      .post('/checkout')
      .type('form')
      .send({ _csrf, ...form });
    expect([second.status, second.headers.location]).toEqual([303, first.headers.location]);
    expect(await Order.countDocuments({ userId: user._id })).toBe(1);
  });

  it('creates one order when two tabs check the same cart out at once; a tab that comes second finds the cart empty', async () => {
    const { agent, user } = await loggedInAgent(app());
    const product = await someProduct();
    await user.mergeCart([{ productId: product._id, quantity: 2 }]);
    const _csrf = await csrfToken(agent, '/cart');

    const responses = await Promise.all(
      [1, 2].map(() =>
        agent
          .post('/checkout')
          .type('form')
          .send({ _csrf, ...checkoutForm() }),
      ),
    );

    // Each tab goes to the one payment, or (its twin finished before it began) back to the cart.
    const toPay = responses.filter((r) => r.status === 303).map((r) => r.headers.location);
    expect(toPay.length).toBeGreaterThanOrEqual(1);
    expect(new Set(toPay).size).toBe(1);
    expect(responses.filter((r) => r.status !== 303).map((r) => [r.status, r.headers.location])).toEqual(
      Array(2 - toPay.length).fill([302, '/cart']),
    );
    expect(await Order.countDocuments({ userId: user._id })).toBe(1);
    expect(await cartOf(user._id)).toEqual([]);
  });

  it('refuses an order whose cart changed while it was being placed, taking nothing and keeping the cart', async () => {
    const { user } = await loggedInAgent(app());
    const ordered = await someProduct({ stock: 5 });
    const addedMeanwhile = await someProduct({ stock: 5 });
    await user.mergeCart([{ productId: ordered._id, quantity: 1 }]);
    const fresh = (await User.findById(user._id))!;
    const realCreate = Order.create.bind(Order);
    const create = jest
      .spyOn(Order, 'create')
      .mockImplementationOnce(async (...args: Parameters<typeof Order.create>) => {
        await fresh.addToCart(addedMeanwhile._id);
        await fresh.addToCart(ordered._id);
        return realCreate(...args);
      });

    await expect(placeOrder(user, { checkout: checkoutDetails() })).rejects.toBeInstanceOf(LateOrderError);
    create.mockRestore();

    expect(await Order.countDocuments({ userId: user._id })).toBe(0);
    expect(await cartOf(user._id)).toEqual(
      expect.arrayContaining([
        { productId: addedMeanwhile.id, quantity: 1 },
        { productId: ordered.id, quantity: 2 },
      ]),
    );
    const stocks = await Product.find({ _id: trusted({ $in: [ordered._id, addedMeanwhile._id] }) }).lean();
    expect(stocks.map((product) => product.stock)).toEqual([5, 5]);
  });

  it('never buys twice what an order that failed half-way already bought', async () => {
    const { agent, user } = await loggedInAgent(app());
    const first = await someProduct({ title: 'Bought Once' });
    const second = await someProduct({ title: 'Added Later' });
    await user.mergeCart([{ productId: first._id, quantity: 1 }]);
    // The order is written, then the database fails before it claims the cart.
    const fresh = (await User.findById(user._id))!;
    jest.spyOn(fresh, 'claimForOrder').mockRejectedValueOnce(new Error('connection reset'));
    await expect(placeOrder(fresh, { checkout: checkoutDetails() })).rejects.toThrow('connection reset');
    expect(await cartOf(user._id)).toEqual([{ productId: first.id, quantity: 1 }]);

    // The shopper changes the cart and orders again.
    await postForm(agent, '/cart', { productId: second.id }, '/cart');
    await checkOut(agent);

    const orders = await Order.find({ userId: user._id }).sort({ createdAt: 1 }).lean();
    expect(orders.map((order) => order.lines.map((line) => line.title))).toEqual([['Bought Once'], ['Added Later']]);
    expect(await cartOf(user._id)).toEqual([]);
  });

  it('keeps the cart when writing the order fails', async () => {
    const { agent, user } = await loggedInAgent(app());
    const product = await someProduct();
    await user.mergeCart([{ productId: product._id, quantity: 1 }]);
    const create = jest.spyOn(Order, 'create').mockRejectedValueOnce(new Error('write failed'));

    const response = await checkOut(agent);
    create.mockRestore();

    expect(response.status).toBe(500);
    expect(await cartOf(user._id)).toEqual([{ productId: product.id, quantity: 1 }]);
    expect(await Order.countDocuments({ userId: user._id })).toBe(0);
  });
});
