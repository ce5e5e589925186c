import { Order } from '../src/models/Order';
import { Product } from '../src/models/Product';
import { csrfFrom, loggedInAgent, uniqueEmail, type Agent } from './helpers/http';
import { PAYMENT_PAGE, cartOf, checkoutForm, someProduct } from './helpers/shop';
import { useTestApp } from './helpers/testApp';

const testApp = useTestApp();
const app = () => testApp().app;

/** The checkout page's form, as the buyer's browser holds it. */
async function openCart(agent: Agent) {
  const page = await agent.get('/checkout').expect(200);
  const seenCart = /name="seenCart" value="([^"]*)"/.exec(page.text)?.[1];
  if (seenCart === undefined) throw new Error('no order form on the checkout page');
  return {
    page,
    submit: () =>
      agent
        .post('/checkout')
        .type('form')
        .send({ _csrf: csrfFrom(page.text), seenCart, ...checkoutForm() }),
  };
}

describe('placing an order after the cart was shown', () => {
  it('places nothing when a price changed, and shows the buyer what changed', async () => {
    const { agent, user } = await loggedInAgent(app(), uniqueEmail('buyer'));
    const product = await someProduct({ title: 'Price Trap Mug', priceCents: 1000 });
    await user.mergeCart([{ productId: product._id, quantity: 1 }]);
    const cart = await openCart(agent);
    expect(cart.page.text).toContain('$10.00');

    // The seller raises the price while the buyer looks at the cart.
    await Product.updateOne({ _id: product._id }, { priceCents: 99_999_900 });
    const response = await cart.submit();

    expect(response.status).toBe(302);
    expect(response.headers.location).toBe('/cart');
    expect(await Order.countDocuments({ userId: user._id })).toBe(0);
    expect(await cartOf(user._id)).toEqual([{ productId: product.id, quantity: 1 }]);
    const shown = await openCart(agent);
    expect(shown.page.text).toContain('nothing was ordered');
    expect(shown.page.text).toContain('“Price Trap Mug” now costs $999,999.00 (was $10.00).');

    // Having seen the new price, the buyer may still order at it.
    expect((await shown.submit()).headers.location).toMatch(PAYMENT_PAGE);
    // At the price shown, plus standard shipping.
    expect((await Order.findOne({ userId: user._id }))?.totalCents).toBe(99_999_900 + 495);
  });

  it('places nothing when the cart gained items in another tab', async () => {
    const { agent, user } = await loggedInAgent(app(), uniqueEmail('buyer'));
    const product = await someProduct({ title: 'Two Tabs Pad', priceCents: 450 });
    await user.mergeCart([{ productId: product._id, quantity: 1 }]);
    const cart = await openCart(agent);
    await user.mergeCart([{ productId: product._id, quantity: 2 }]);

    expect((await cart.submit()).headers.location).toBe('/cart');
    expect(await Order.countDocuments({ userId: user._id })).toBe(0);
    expect((await agent.get('/cart')).text).toContain('“Two Tabs Pad”: quantity 3 now (was 1).');
  });

  it('places the order at the prices shown when nothing changed', async () => {
    const { agent, user } = await loggedInAgent(app(), uniqueEmail('buyer'));
    const product = await someProduct({ priceCents: 2500 });
    await user.mergeCart([{ productId: product._id, quantity: 2 }]);
    expect((await (await openCart(agent)).submit()).headers.location).toMatch(PAYMENT_PAGE);
    expect((await Order.findOne({ userId: user._id }))?.totalCents).toBe(5000 + 495);
  });
});
