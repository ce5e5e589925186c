import request from 'supertest';
import { GuestCart } from '../src/models/GuestCart';
import { MAX_QUANTITY } from '../src/models/cartItems';
import { createUser, csrfFrom, loggedInAgent, logIn, uniqueEmail, type Agent } from './helpers/http';
import { cartOf, postForm, someProduct } from './helpers/shop';
import { useTestApp } from './helpers/testApp';

const testApp = useTestApp();
const app = () => testApp().app;

/** A guest (a session, no login) whose cart holds `productId` once. */
async function guestWith(productId: string): Promise<Agent> {
  const guest = request.agent(app());
  const added = await postForm(guest, '/cart', { productId }, '/login');
  expect(added.status).toBe(302);
  return guest;
}

/** Sets a line's quantity with the token of the cart page, as its − and + forms do. */
async function setQuantity(agent: Agent, productId: string, quantity: unknown) {
  const _csrf = csrfFrom((await agent.get('/cart')).text);
  return agent.post('/cart-update').type('form').send({ _csrf, productId, quantity });
}

async function guestItems(productId: string) {
  const cart = await GuestCart.findOne({ 'cart.items.productId': productId }).lean();
  return (cart?.cart.items ?? []).map((item) => ({ productId: item.productId.toString(), quantity: item.quantity }));
}

describe("a guest's cart page", () => {
  it('shows the lines with thumbnail, unit price, quantity buttons and line total, and a way to log in to check out', async () => {
    const product = await someProduct({ title: 'Green Jug', priceCents: 1250, imageUrl: '/images/mug.svg' });
    const guest = await guestWith(product.id as string);
    await postForm(guest, '/cart', { productId: product.id }, '/login');

    const cart = await guest.get('/cart');
    expect(cart.status).toBe(200);
    expect(cart.headers['cache-control']).toBe('no-store');
    expect(cart.text).toContain('Green Jug');
    expect(cart.text).toMatch(/<img src="\/images\/mug\.svg"[^>]*class="cart-thumb"/);
    expect(cart.text).toContain('$12.50');
    expect(cart.text).toMatch(/data-testid="cart-quantity">2</);
    expect(cart.text).toMatch(/data-testid="cart-line-total">\$25\.00</);
    expect(cart.text).toContain('aria-label="One less Green Jug"');
    expect(cart.text).toContain('aria-label="One more Green Jug"');
    expect(cart.text).toContain('href="/checkout">Log in to check out');
    expect(cart.text).not.toContain('Place order');
  });

  it('shows an empty cart to a visitor without a session, and creates none', async () => {
    const cart = await request(app()).get('/cart');
    expect(cart.status).toBe(200);
    expect(cart.text).toContain('Your cart is empty');
    expect(cart.headers['set-cookie']).toBeUndefined();
  });

  it('"Log in to check out" leads to the login page and on to the checkout of the merged cart', async () => {
    const mine = await someProduct({ title: 'Account Item' });
    const theirs = await someProduct({ title: 'Guest Item' });
    const email = uniqueEmail();
    const user = await createUser(email);
    await user.mergeCart([{ productId: mine._id, quantity: 1 }]);
    const guest = await guestWith(theirs.id as string);

    const checkout = await guest.get('/checkout');
    expect(checkout.headers.location).toBe('/login');
    const login = await logIn(guest, email);
    expect(login.headers.location).toBe('/checkout');
    const checkoutPage = await guest.get('/checkout');
    expect(checkoutPage.status).toBe(200);
    expect(checkoutPage.text).toContain('Account Item');
    expect(checkoutPage.text).toContain('Guest Item');
    expect(checkoutPage.text).toContain('Continue to payment');
    expect(checkoutPage.text).toContain('name="seenCart"');
    // The cart page leads there too.
    expect((await guest.get('/cart')).text).toContain('href="/checkout">Check out');
  });
});

describe('adding to the cart from a page', () => {
  it('goes back to the page the form was on, with a confirmation there', async () => {
    const product = await someProduct({ title: 'Brass Bell' });
    const guest = request.agent(app());
    const added = await postForm(
      guest,
      '/cart',
      { productId: product.id, returnTo: '/products?q=bell&page=1' },
      '/login',
    );
    expect(added.headers.location).toBe('/products?q=bell&page=1');
    const page = await guest.get(added.headers.location as string);
    expect(page.text).toContain('Added “Brass Bell” to your cart.');
    expect(page.text).toMatch(/data-testid="cart-count">.*1/s);
  });

  it.each(['//evil.example/', 'https://evil.example/', '/\\evil.example'])(
    'never leaves the shop for a returnTo of %s',
    async (returnTo) => {
      const product = await someProduct();
      const { agent } = await loggedInAgent(app());
      const added = await postForm(agent, '/cart', { productId: product.id, returnTo });
      expect(added.headers.location).toBe('/');
    },
  );

  it('puts the page it is on into the form', async () => {
    await someProduct();
    const page = await request(app()).get('/products?page=1');
    expect(page.text).toContain('name="returnTo" value="/products?page=1"');
  });
});

describe('changing a quantity (POST /cart-update)', () => {
  it('sets the quantity of a line for a user, and 0 removes it', async () => {
    const { agent, user } = await loggedInAgent(app());
    const product = await someProduct({ priceCents: 300 });
    await user.addToCart(product._id);

    const set = await setQuantity(agent, product.id as string, '5');
    expect(set.status).toBe(302);
    expect(set.headers.location).toBe('/cart');
    expect(await cartOf(user._id)).toEqual([{ productId: product.id, quantity: 5 }]);
    expect((await agent.get('/cart')).text).toMatch(/data-testid="cart-line-total">\$15\.00</);

    await setQuantity(agent, product.id as string, '0');
    expect(await cartOf(user._id)).toEqual([]);
  });

  it('lets a guest with a cart change it', async () => {
    const product = await someProduct();
    const guest = await guestWith(product.id as string);
    expect((await setQuantity(guest, product.id as string, '3')).status).toBe(302);
    expect(await guestItems(product.id as string)).toEqual([{ productId: product.id, quantity: 3 }]);
    expect((await guest.get('/cart')).text).toMatch(/data-testid="cart-quantity">3</);
  });

  it.each([
    ['above the maximum', String(MAX_QUANTITY + 1)],
    ['negative', '-1'],
    ['a fraction', '1.5'],
    ['not a number', 'lots'],
    ['empty', ''],
    ['missing', undefined],
    ['repeated', ['2', '3']],
    ['an operator object', { $gt: 0 }],
  ])('answers a quantity that is %s with 422 and a message, changing nothing', async (_, quantity) => {
    const { agent, user } = await loggedInAgent(app());
    const product = await someProduct();
    await user.addToCart(product._id);
    const response = await setQuantity(agent, product.id as string, quantity);
    expect(response.status).toBe(422);
    expect(response.text).toContain(`A quantity is a whole number from 0 (to remove the item) to ${MAX_QUANTITY}.`);
    expect(await cartOf(user._id)).toEqual([{ productId: product.id, quantity: 1 }]);
  });

  it('answers a malformed product id with 404, and never adds a product that is not in the cart', async () => {
    const { agent, user } = await loggedInAgent(app());
    const product = await someProduct();
    expect((await setQuantity(agent, 'not-an-id', '2')).status).toBe(404);
    expect((await setQuantity(agent, product.id as string, '2')).status).toBe(302);
    expect(await cartOf(user._id)).toEqual([]);
  });

  it('refuses a change without the CSRF token, even from our own pages', async () => {
    const product = await someProduct();
    const guest = await guestWith(product.id as string);
    const response = await guest
      .post('/cart-update')
      .set('Sec-Fetch-Site', 'same-origin')
      .type('form')
      .send({ productId: product.id, quantity: '7' });
    expect(response.status).toBe(403);
    expect(await guestItems(product.id as string)).toEqual([{ productId: product.id, quantity: 1 }]);
  });

  it('loses no concurrent change: quantity changes during adds of another product, for a user', async () => {
    const { agent, user } = await loggedInAgent(app());
    const [a, b] = [await someProduct(), await someProduct()];
    await user.addToCart(b._id);
    const _csrf = csrfFrom((await agent.get('/cart')).text);
    const adds = Array.from({ length: 10 }, () => agent.post('/cart').type('form').send({ _csrf, productId: a.id }));
    const updates = Array.from({ length: 5 }, () =>
      agent.post('/cart-update').type('form').send({ _csrf, productId: b.id, quantity: '7' }),
    );
    const answers = await Promise.all([...adds, ...updates]);
    expect(answers.map((answer) => answer.status)).toEqual(Array(15).fill(302));
    expect(await cartOf(user._id)).toEqual(
      expect.arrayContaining([
        { productId: a.id, quantity: 10 },
        { productId: b.id, quantity: 7 },
      ]),
    );
  });

  it('loses no concurrent change in a guest cart either', async () => {
    const [a, b] = [await someProduct(), await someProduct()];
    const guest = await guestWith(b.id as string);
    const _csrf = csrfFrom((await guest.get('/cart')).text);
    const adds = Array.from({ length: 10 }, () => guest.post('/cart').type('form').send({ _csrf, productId: a.id }));
    const updates = Array.from({ length: 5 }, () =>
      guest.post('/cart-update').type('form').send({ _csrf, productId: b.id, quantity: '4' }),
    );
    const answers = await Promise.all([...adds, ...updates]);
    expect(answers.map((answer) => answer.status)).toEqual(Array(15).fill(302));
    const items = await guestItems(b.id as string);
    expect(items).toEqual(
      expect.arrayContaining([
        { productId: a.id, quantity: 10 },
        { productId: b.id, quantity: 4 },
      ]),
    );
    expect(items).toHaveLength(2);
  });
});

describe('the login and signup pages for someone logged in', () => {
  it.each(['/login', '/signup'])('%s sends them to the home page', async (path) => {
    const { agent } = await loggedInAgent(app());
    const page = await agent.get(path);
    expect(page.status).toBe(302);
    expect(page.headers.location).toBe('/');
    expect((await request(app()).get(path)).status).toBe(200);
  });
});
