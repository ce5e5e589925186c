import type { Store } from 'express-session';
import request from 'supertest';
import { GuestCart } from '../src/models/GuestCart';
import { RECENT_FORMS } from '../src/models/cartStore';
import { SessionStoreError } from '@fernhill/session-store';
import { csrfFrom, loggedInAgent, sessionCookie, type Agent } from './helpers/http';
import { cartOf, someProduct } from './helpers/shop';
import { useTestApp } from './helpers/testApp';

const testApp = useTestApp();
const app = () => testApp().app;

/** The add-to-cart form of a product page, as the browser holds it: its CSRF token and form id. */
async function addToCartForm(agent: Agent, productId: string) {
  const page = await agent.get(`/products/${productId}`);
  const formId = /name="formId" value="([^"]+)"/.exec(page.text)?.[1];
  if (!formId) throw new Error('no form id on the product page');
  const fields = { _csrf: csrfFrom(page.text), productId, formId };
  return { formId, submit: () => agent.post('/cart').type('form').send(fields) };
}

afterEach(() => jest.restoreAllMocks());

describe('adding to the cart once per form', () => {
  it('gives each form on each page its own id', async () => {
    const product = await someProduct();
    const ids = (html: string) => [...html.matchAll(/name="formId" value="([^"]+)"/g)].map((match) => match[1]);
    const [first, second] = [await request(app()).get('/products'), await request(app()).get('/products')];
    const all = [...ids(first.text), ...ids(second.text)];
    expect(all.length).toBeGreaterThan(1);
    expect(new Set(all).size).toBe(all.length);
    expect(ids((await request(app()).get(`/products/${product.id}`)).text)).toHaveLength(1);
  });

  it('adds once when the same form is sent twice (a retry after an error or a lost answer)', async () => {
    const { agent, user } = await loggedInAgent(app());
    const product = await someProduct();
    const form = await addToCartForm(agent, product.id as string);
    expect((await form.submit()).headers.location).toBe('/cart');
    expect((await form.submit()).headers.location).toBe('/cart');
    expect(await cartOf(user._id)).toEqual([{ productId: product.id, quantity: 1 }]);
  });

  it('adds once when the same form is sent five times at once', async () => {
    const { agent, user } = await loggedInAgent(app());
    const product = await someProduct();
    const form = await addToCartForm(agent, product.id as string);
    const answers = await Promise.all([1, 2, 3, 4, 5].map(() => form.submit()));
    expect(answers.map((answer) => answer.status)).toEqual([302, 302, 302, 302, 302]);
    expect(await cartOf(user._id)).toEqual([{ productId: product.id, quantity: 1 }]);
  });

  it('adds twice for two forms (the product page loaded twice), at once or one after the other', async () => {
    const { agent, user } = await loggedInAgent(app());
    const product = await someProduct();
    const [a, b] = [await addToCartForm(agent, product.id as string), await addToCartForm(agent, product.id as string)];
    await Promise.all([a.submit(), b.submit()]);
    const c = await addToCartForm(agent, product.id as string);
    await c.submit();
    expect(await cartOf(user._id)).toEqual([{ productId: product.id, quantity: 3 }]);
  });

  it(`still knows a form after ${RECENT_FORMS - 1} others were sent`, async () => {
    const { agent, user } = await loggedInAgent(app());
    const product = await someProduct();
    const first = await addToCartForm(agent, product.id as string);
    await first.submit();
    for (let i = 1; i < RECENT_FORMS; i += 1) await (await addToCartForm(agent, product.id as string)).submit();
    await first.submit();
    expect(await cartOf(user._id)).toEqual([{ productId: product.id, quantity: RECENT_FORMS }]);
  });

  it('adds every time for a form without an id (an older page, a script), as before', async () => {
    const { agent, user } = await loggedInAgent(app());
    const product = await someProduct();
    const _csrf = csrfFrom((await agent.get('/products')).text);
    for (let i = 0; i < 2; i += 1) await agent.post('/cart').type('form').send({ _csrf, productId: product.id });
    expect(await cartOf(user._id)).toEqual([{ productId: product.id, quantity: 2 }]);
  });

  it('refuses a malformed form id with 400 and adds nothing', async () => {
    const { agent, user } = await loggedInAgent(app());
    const product = await someProduct();
    const _csrf = csrfFrom((await agent.get('/products')).text);
    for (const formId of ['short', 'x'.repeat(65), 'spaces are not allowed here!', '{"$ne":null}']) {
      const answer = await agent.post('/cart').type('form').send({ _csrf, productId: product.id, formId });
      expect([formId, answer.status]).toEqual([formId, 400]);
      expect(answer.text).toContain('reload the page');
    }
    expect(await cartOf(user._id)).toEqual([]);
  });

  it('adds once for a guest sending the same form twice', async () => {
    const product = await someProduct();
    const guest = request.agent(app());
    await guest.get('/login'); // a CSRF cookie, whose token the product page then carries
    const form = await addToCartForm(guest, product.id as string);
    // The first add gives the guest a session (and so a cart); the same form again adds nothing.
    await form.submit();
    await Promise.all([form.submit(), form.submit()]);
    const sid = decodeURIComponent(sessionCookie(guest).split('=')[1]!).slice(2).split('.')[0];
    const cart = await GuestCart.findById(sid).lean();
    expect(cart?.cart.items.map((item) => item.quantity)).toEqual([1]);
  });

  it('adds once when the first try answered 503 (its session could not be saved) and the shopper sends the form again', async () => {
    const { agent, user } = await loggedInAgent(app());
    const product = await someProduct();
    const form = await addToCartForm(agent, product.id as string);
    const store = testApp().store as Store;
    const set = jest.spyOn(store, 'set').mockImplementationOnce((_sid, _session, callback) => {
      process.nextTick(() => callback?.(new SessionStoreError('could not save session: connection reset')));
    });
    const failed = await form.submit();
    expect(failed.status).toBe(503);
    set.mockRestore();
    // The item was stored before the session failed; the shopper, unsure, sends the form again.
    expect((await form.submit()).headers.location).toBe('/cart');
    expect(await cartOf(user._id)).toEqual([{ productId: product.id, quantity: 1 }]);
  });
});
