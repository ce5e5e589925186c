import request from 'supertest';
import { GuestCart } from '../src/models/GuestCart';
import { MAX_QUANTITY } from '../src/models/cartItems';
import { PASSWORD, createUser, csrfToken, logIn, loggedInAgent, uniqueEmail } from './helpers/http';
import { cartOf, postForm, someProduct } from './helpers/shop';
import { useTestApp } from './helpers/testApp';

const testApp = useTestApp();
const app = () => testApp().app;

describe('cart for a logged-in user', () => {
  it('adds a product, shows it with its total, and removes it', async () => {
    const { agent, user } = await loggedInAgent(app());
    const product = await someProduct({ title: 'Blue Teapot', priceCents: 2550 });

    const added = await postForm(agent, '/cart', { productId: product.id });
    expect(added.headers.location).toBe('/cart');
    await postForm(agent, '/cart', { productId: product.id });
    const cart = await agent.get('/cart');
    expect(cart.text).toContain('Blue Teapot');
    expect(cart.text).toContain('$51.00');
    expect(await cartOf(user._id)).toEqual([{ productId: product.id, quantity: 2 }]);

    await postForm(agent, '/cart-delete-item', { productId: product.id }, '/cart');
    expect(await cartOf(user._id)).toEqual([]);
    expect((await agent.get('/cart')).text).toContain('Your cart is empty');
  });

  it('never loses an add: 20 concurrent adds of one product end with quantity 20', async () => {
    const { agent, user } = await loggedInAgent(app());
    const product = await someProduct();
    const _csrf = await csrfToken(agent, '/products');

    const responses = await Promise.all(
      Array.from({ length: 20 }, () => agent.post('/cart').type('form').send({ _csrf, productId: product.id })),
    );

    expect(responses.map((r) => r.status)).toEqual(Array(20).fill(302));
    expect(await cartOf(user._id)).toEqual([{ productId: product.id, quantity: 20 }]);
  });

  it(`caps one product's quantity at ${MAX_QUANTITY}`, async () => {
    const { agent, user } = await loggedInAgent(app());
    const product = await someProduct();
    await user.mergeCart([{ productId: product._id, quantity: MAX_QUANTITY }]);
    await postForm(agent, '/cart', { productId: product.id });
    expect(await cartOf(user._id)).toEqual([{ productId: product.id, quantity: MAX_QUANTITY }]);
  });

  it.each([
    ['a malformed id', 'not-an-id'],
    ['an unknown id', '507f1f77bcf86cd799439011'],
    ['an operator object', { $ne: null }],
  ])('answers %s with 404 and changes nothing', async (_, productId) => {
    const { agent, user } = await loggedInAgent(app());
    const response = await postForm(agent, '/cart', { productId });
    expect(response.status).toBe(404);
    expect(await cartOf(user._id)).toEqual([]);
  });

  it('sends anonymous visitors who check out to log in, then on to the checkout', async () => {
    const agent = request.agent(app());
    const email = uniqueEmail();
    await createUser(email);
    const cart = await agent.get('/checkout');
    expect(cart.headers.location).toBe('/login');
    const login = await logIn(agent, email);
    expect(login.headers.location).toBe('/checkout');
  });
});

describe('guest cart', () => {
  it('lets a guest fill a cart that merges into the user cart at login, quantities adding up', async () => {
    const shared = await someProduct({ title: 'Shared Item' });
    const guestOnly = await someProduct({ title: 'Guest Item' });
    const email = uniqueEmail();
    const user = await createUser(email);
    await user.mergeCart([{ productId: shared._id, quantity: 2 }]);

    const guest = request.agent(app());
    await postForm(guest, '/cart', { productId: shared.id }, '/login');
    await postForm(guest, '/cart', { productId: shared.id }, '/login');
    await postForm(guest, '/cart', { productId: guestOnly.id }, '/login');
    expect((await guest.get('/products')).text).toMatch(/data-testid="cart-count">.*3/s);

    const login = await logIn(guest, email, PASSWORD);
    expect(login.status).toBe(302);

    const cart = await cartOf(user._id);
    expect(cart).toEqual(
      expect.arrayContaining([
        { productId: shared.id, quantity: 4 },
        { productId: guestOnly.id, quantity: 1 },
      ]),
    );
    expect(cart).toHaveLength(2);
    expect(await GuestCart.countDocuments()).toBe(0);
    expect((await guest.get('/cart')).text).toContain('Guest Item');
  });

  it('keeps concurrent guest adds too', async () => {
    const product = await someProduct();
    const guest = request.agent(app());
    const _csrf = await csrfToken(guest, '/login');
    // The first add creates the guest's session; the next ten share it.
    await guest.post('/cart').type('form').send({ _csrf, productId: product.id }).expect(302);
    await Promise.all(
      Array.from({ length: 10 }, () => guest.post('/cart').type('form').send({ _csrf, productId: product.id })),
    );
    const carts = await GuestCart.find().lean();
    const mine = carts.find((c) => c.cart.items.some((item) => item.productId.equals(product._id)));
    expect(mine?.cart.items[0]?.quantity).toBe(11);
  });

  it('creates no session for a visitor who only browses', async () => {
    const product = await someProduct();
    for (const path of ['/', '/products', `/products/${product.id}`]) {
      const page = await request(app()).get(path);
      expect(page.status).toBe(200);
      expect(page.text).toContain('Add to cart');
      expect(page.headers['set-cookie']).toBeUndefined();
    }
  });

  it('lets a visitor without a session add from our own pages, and refuses other sites', async () => {
    const product = await someProduct();
    const add = (headers: Record<string, string>) =>
      request(app()).post('/cart').set(headers).type('form').send({ productId: product.id });

    const fromOurPage = await add({ 'Sec-Fetch-Site': 'same-origin' });
    expect(fromOurPage.status).toBe(302);
    expect(fromOurPage.headers['set-cookie']?.[0]).toMatch(/^shop\.sid=/);

    expect((await add({ 'Sec-Fetch-Site': 'cross-site' })).status).toBe(403);
    expect((await add({ Origin: 'https://evil.example' })).status).toBe(403);
    expect((await add({})).status).toBe(403);
  });

  it('still requires the token once one was issued, even from our own pages', async () => {
    const product = await someProduct();
    const guest = request.agent(app());
    await guest.get('/login');
    const response = await guest
      .post('/cart')
      .set('Sec-Fetch-Site', 'same-origin')
      .type('form')
      .send({ productId: product.id });
    expect(response.status).toBe(403);
  });
});
