import { trusted } from 'mongoose';
import request from 'supertest';
import { Order, orderNumber } from '../src/models/Order';
import { Product } from '../src/models/Product';
import { csrfToken, loggedInAdmin, loggedInAgent, type Agent } from './helpers/http';
import { waitForMailWithSubject } from './helpers/outbox';
import { PAYMENT_PAGE, cartOf, checkOut, checkOutAndPay, checkoutForm, postForm, someProduct } from './helpers/shop';
import { useTestApp } from './helpers/testApp';

const testApp = useTestApp();
const app = () => testApp().app;

const stockOf = async (id: unknown) => (await Product.findById(id).lean())?.stock;

/** A customer whose cart holds `quantity` of `product`. */
async function customerHolding(product: { _id: unknown }, quantity: number) {
  const customer = await loggedInAgent(app());
  await customer.user.mergeCart([{ productId: product._id as never, quantity }]);
  return customer;
}

/** The cart page, after following the redirect an order form answers with. */
const cartPage = async (agent: Agent) => (await agent.get('/cart')).text;

describe('what the shop shows of its stock', () => {
  it('labels products "In stock", "Only N left" (5 or fewer) or "Out of stock", on the cards and the page', async () => {
    const plenty = await someProduct({ title: 'Stock Plenty', stock: 6 });
    const few = await someProduct({ title: 'Stock Few', stock: 5 });
    const none = await someProduct({ title: 'Stock None', stock: 0 });

    const labelOf = (html: string, title: string) =>
      new RegExp(`${title}</h2>[\\s\\S]*?data-testid="stock-label">([^<]+)<`).exec(html)?.[1];
    const grid = (await request(app()).get('/products?q=stock')).text;
    expect([labelOf(grid, 'Stock Plenty'), labelOf(grid, 'Stock Few'), labelOf(grid, 'Stock None')]).toEqual([
      'In stock',
      'Only 5 left',
      'Out of stock',
    ]);
    expect((await request(app()).get(`/products/${few.id}`)).text).toContain('Only 5 left');
    const soldOut = (await request(app()).get(`/products/${none.id}`)).text;
    expect(soldOut).toContain('data-testid="stock-label">Out of stock');
    expect(soldOut).toMatch(/<button[^>]*disabled[^>]*>Out of stock<\/button>/);
    expect((await request(app()).get(`/products/${plenty.id}`)).text).toContain('In stock');
  });

  it("refuses to add an out-of-stock product to a user's or a guest's cart, with a message", async () => {
    const none = await someProduct({ title: 'Sold Out Vase', stock: 0 });
    const { agent, user } = await loggedInAgent(app());
    const refused = await postForm(agent, '/cart', { productId: none.id, returnTo: `/products/${none.id}` });
    expect([refused.status, refused.headers.location]).toEqual([302, `/products/${none.id}`]);
    expect((await agent.get(`/products/${none.id}`)).text).toContain(
      'Sorry, “Sold Out Vase” is out of stock, so it was not added to your cart.',
    );
    expect(await cartOf(user._id)).toEqual([]);

    // A guest, from the product page (no session yet: the same-origin form).
    const guest = request.agent(app());
    const fromGuest = await guest
      .post('/cart')
      .set('Sec-Fetch-Site', 'same-origin')
      .type('form')
      .send({ productId: none.id });
    expect([fromGuest.status, fromGuest.headers.location]).toEqual([302, '/cart']);
    const guestCart = (await guest.get('/cart')).text;
    expect(guestCart).toContain('is out of stock, so it was not added');
    expect(guestCart).toContain('Your cart is empty');
  });

  it('flags the cart lines that hold more than is left', async () => {
    const scarce = await someProduct({ title: 'Scarce Jug', stock: 2 });
    const ample = await someProduct({ title: 'Ample Cup', stock: 50 });
    const { agent, user } = await customerHolding(scarce, 3);
    await user.mergeCart([{ productId: ample._id, quantity: 1 }]);
    const page = await cartPage(agent);
    expect(page).toContain('data-testid="cart-short"');
    const flags = [...page.matchAll(/>([^<>]+)<\/a>\s*<p class="stock-label[^"]*" data-testid="line-short">([^<]+)</g)];
    expect(flags.map((flag) => [flag[1], flag[2]])).toEqual([['Scarce Jug', 'Only 2 left']]);
  });
});

describe('placing orders takes stock', () => {
  it('takes each line from stock; a short line orders nothing, takes nothing and says which line', async () => {
    const mug = await someProduct({ title: 'Counted Mug', stock: 10 });
    const pot = await someProduct({ title: 'Counted Pot', stock: 1 });
    const { agent, user } = await customerHolding(mug, 3);
    await user.mergeCart([{ productId: pot._id, quantity: 2 }]);

    const short = await checkOut(agent);
    expect(short.headers.location).toBe('/cart');
    const page = await cartPage(agent);
    expect(page).toContain('Not enough in stock, so nothing was ordered. “Counted Pot”: only 1 left, your cart has 2.');
    expect([await stockOf(mug._id), await stockOf(pot._id)]).toEqual([10, 1]);
    expect(await Order.countDocuments({ userId: user._id })).toBe(0);

    await user.setCartQuantity(pot._id, 1);
    expect((await checkOut(agent)).headers.location).toMatch(PAYMENT_PAGE);
    expect([await stockOf(mug._id), await stockOf(pot._id)]).toEqual([7, 0]);
    const order = await Order.findOne({ userId: user._id }).lean();
    expect(order?.stockState).toBe('taken');
    // The markers that make a repeated take harmless stay (one per product of the order), and the
    // short order left a void marker on each of its products, so that a late take of it finds it void.
    const markers = await Product.find({ _id: trusted({ $in: [mug._id, pot._id] }) })
      .select('+stockMoves')
      .lean();
    const moves = markers.flatMap((product) => product.stockMoves ?? []);
    expect(moves.filter((move) => move.startsWith('take:'))).toEqual([`take:${order!._id}`, `take:${order!._id}`]);
    expect(moves.filter((move) => !move.startsWith('take:')).every((move) => move.startsWith('void:'))).toBe(true);
  });

  it('sells the last one once when 10 customers order it at the same moment; the 9 others are told', async () => {
    const last = await someProduct({ title: 'Last Lantern', stock: 1 });
    const customers = await Promise.all(Array.from({ length: 10 }, () => customerHolding(last, 1)));
    const tokens = await Promise.all(customers.map(({ agent }) => csrfToken(agent, '/cart')));

    const answers = await Promise.all(
      customers.map(({ agent }, i) =>
        agent
          .post('/checkout')
          .type('form')
          .send({ _csrf: tokens[i], ...checkoutForm() }),
      ),
    );

    expect(answers.map((answer) => answer.status).sort()).toEqual([...Array(9).fill(302), 303]);
    const where = answers.map((answer) => answer.headers.location);
    expect(where.filter((to) => PAYMENT_PAGE.test(to ?? ''))).toHaveLength(1);
    expect(where.filter((to) => to === '/cart')).toHaveLength(9);
    expect(await Order.countDocuments({ 'lines.productId': last._id })).toBe(1);
    expect(await stockOf(last._id)).toBe(0);
    const losers = customers.filter((_, i) => where[i] === '/cart');
    for (const { agent, user } of losers) {
      const page = await cartPage(agent);
      expect(page).toContain('Not enough in stock, so nothing was ordered. “Last Lantern” is out of stock.');
      expect(page).toContain('data-testid="line-short">Out of stock');
      expect(await cartOf(user._id)).toEqual([{ productId: last.id, quantity: 1 }]);
    }
    console.log(
      `10 customers, 1 left: ${where.filter((to) => PAYMENT_PAGE.test(to ?? '')).length} order, stock ${await stockOf(last._id)}`,
    );
  });

  it('mails the customer once the payment is received, after the response', async () => {
    const bowl = await someProduct({ title: 'Mailed Bowl', priceCents: 1500 });
    const { agent, user, email } = await customerHolding(bowl, 2);
    await checkOutAndPay(agent);
    const order = await Order.findOne({ userId: user._id });
    const mail = await waitForMailWithSubject(email);
    expect(mail.subject).toBe(`Payment received for your Fernhill Goods order ${orderNumber(order!)}`);
    expect(mail.text).toContain('2 × Mailed Bowl at $15.00: $30.00');
    expect(mail.text).toContain('Shipping (standard): $4.95');
    expect(mail.text).toContain('Total: $34.95');
    expect(mail.text).toContain(`/orders/${order!.id}`);
  });
});

describe('cancelling gives stock back', () => {
  it('returns the stock once when the customer and an admin cancel at the same moment', async () => {
    const lamp = await someProduct({ title: 'Returned Lamp', stock: 5 });
    const { agent, user } = await customerHolding(lamp, 2);
    await checkOutAndPay(agent);
    expect(await stockOf(lamp._id)).toBe(3);
    const order = await Order.findOne({ userId: user._id });
    const path = `/orders/${order!.id}`;
    const admin = await loggedInAdmin(app());
    const [mine, theirs] = [await csrfToken(agent, path), await csrfToken(admin.agent, '/admin/orders')];

    const answers = await Promise.all([
      agent.post(`${path}/cancel`).type('form').send({ _csrf: mine }),
      admin.agent.post(`/admin/orders/${order!.id}/status`).type('form').send({ _csrf: theirs, status: 'cancelled' }),
    ]);

    expect(answers.map((answer) => answer.status).sort()).toEqual([302, 409]);
    expect(await stockOf(lamp._id)).toBe(5);
    const stored = await Order.findById(order!._id).lean();
    expect([stored?.status, stored?.stockState]).toEqual(['cancelled', 'returned']);
  });

  it("finishes a give-back a crash interrupted at the customer's next visit to the cart, once", async () => {
    const kettle = await someProduct({ title: 'Interrupted Kettle', stock: 6 });
    const { agent, user } = await customerHolding(kettle, 2);
    await checkOut(agent);
    expect(await stockOf(kettle._id)).toBe(4);
    // What a process killed right after winning the cancellation leaves: cancelled, nothing given back yet.
    await Order.updateOne({ userId: user._id }, { $set: { status: 'cancelled', stockState: 'returning' } });

    await agent.get('/cart').expect(200);
    await agent.get('/cart').expect(200);
    expect(await stockOf(kettle._id)).toBe(6);
    expect((await Order.findOne({ userId: user._id }).lean())?.stockState).toBe('returned');
  });

  it('returns nothing for an order placed before stock was kept', async () => {
    const old = await someProduct({ title: 'Old Stool', stock: 4 });
    const { agent, user } = await customerHolding(old, 1);
    await checkOutAndPay(agent);
    // As an order stored by the earlier version: it took no stock.
    await Order.updateOne({ userId: user._id }, { $unset: { stockState: 1 } });
    await Product.updateOne({ _id: old._id }, { $set: { stock: 4 } });
    const order = await Order.findOne({ userId: user._id });
    await postForm(agent, `/orders/${order!.id}/cancel`, {}, `/orders/${order!.id}`);
    expect((await Order.findById(order!._id).lean())?.status).toBe('cancelled');
    expect(await stockOf(old._id)).toBe(4);
  });
});

describe("an admin's stock count", () => {
  it('is left as orders made it when the edit form is saved without changing it', async () => {
    const admin = await loggedInAdmin(app());
    const tin = await someProduct({ title: 'Tea Tin', stock: 8, category: 'kitchen' });
    const form = await admin.agent.get(`/admin/edit-product/${tin.id}`);
    expect(form.text).toContain('name="stock" type="text" value="8"');
    // A customer buys 3 while the admin has the form open.
    const { agent } = await customerHolding(tin, 3);
    await checkOut(agent);
    const fields = {
      productId: tin.id,
      title: 'Tea Tin, Large',
      price: '12.00',
      imageUrl: '/images/mug.svg',
      description: 'A tin for loose tea.',
      category: 'kitchen',
    };
    const _csrf = /name="_csrf" value="([^"]+)"/.exec(form.text)![1];
    await admin.agent
      .post('/admin/edit-product')
      .type('form')
      .send({ _csrf, ...fields, stock: '8', stockShown: '8' });
    expect(await stockOf(tin._id)).toBe(5);
    // A new count, typed in, is the count.
    await admin.agent
      .post('/admin/edit-product')
      .type('form')
      .send({ _csrf, ...fields, stock: '40', stockShown: '5' });
    expect(await stockOf(tin._id)).toBe(40);
  });

  it("applies an admin's change from the count the form showed, so orders placed meanwhile stay taken", async () => {
    const admin = await loggedInAdmin(app());
    const lamp = await someProduct({ title: 'Recount Lamp', stock: 10, category: 'home' });
    const form = await admin.agent.get(`/admin/edit-product/${lamp.id}`);
    const _csrf = /name="_csrf" value="([^"]+)"/.exec(form.text)![1];
    const fields = {
      productId: lamp.id,
      title: 'Recount Lamp',
      price: '20.00',
      description: 'A lamp.',
      category: 'home',
    };
    // Four customers order one each while the admin has the form (showing 10) open, and the
    // admin's save (10 → 15: five more came in) races the last of them.
    const customers = await Promise.all([1, 2, 3, 4].map(() => customerHolding(lamp, 1)));
    await Promise.all(customers.slice(0, 3).map(({ agent }) => checkOut(agent)));
    const [, saved] = await Promise.all([
      checkOut(customers[3]!.agent),
      admin.agent
        .post('/admin/edit-product')
        .type('form')
        .send({ _csrf, ...fields, stock: '15', stockShown: '10' }),
    ]);
    expect(saved.headers.location).toBe('/admin/products');
    const ordered = (await Order.find({ 'lines.productId': lamp._id }).lean()).length;
    expect(ordered).toBe(4);
    // Stock plus what the orders hold: what there was, plus the admin's change.
    expect((await stockOf(lamp._id))! + ordered).toBe(10 + 5);
  });

  it('answers 409 with the count left when orders took more meanwhile than a lower count allows', async () => {
    const admin = await loggedInAdmin(app());
    const vase = await someProduct({ title: 'Recount Vase', stock: 5, category: 'home' });
    const form = await admin.agent.get(`/admin/edit-product/${vase.id}`);
    const _csrf = /name="_csrf" value="([^"]+)"/.exec(form.text)![1];
    const { agent } = await customerHolding(vase, 4);
    await checkOut(agent);
    // The admin, seeing 5, meant to take 3 away (5 → 2); only 1 is left.
    const fields = {
      productId: vase.id,
      title: 'Recount Vase',
      price: '20.00',
      description: 'A vase.',
      category: 'home',
    };
    const refused = await admin.agent
      .post('/admin/edit-product')
      .type('form')
      .send({ _csrf, ...fields, stock: '2', stockShown: '5' });
    expect(refused.status).toBe(409);
    expect(refused.text).toContain('1 are left now');
    expect(await stockOf(vase._id)).toBe(1);
  });
});
