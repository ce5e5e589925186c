import request from 'supertest';
import { loggedInAgent, sessionCookie } from '../helpers/http';
import { cartOf, postForm, someProduct } from '../helpers/shop';
import { leaksIn } from './support/pages';
import { useProxiedApp } from './support/proxiedApp';
import { waitFor } from '../../support/waitFor';

const shop = useProxiedApp();

/**
 * Jest (circus) takes over process 'unhandledRejection' while a test runs and fails that test on
 * any, so a rejection nobody handles during the outage fails these tests without a listener here.
 */
describe('MongoDB lost while the shop runs', () => {
  it('answers 503 within seconds, then serves the same logged-in user and cart once it is back', async () => {
    const { app, proxy } = shop();
    const { agent, user } = await loggedInAgent(app);
    const product = await someProduct({ title: 'Outage-proof teapot' });
    expect((await postForm(agent, '/cart', { productId: product.id }, '/products')).status).toBe(302);
    const cookie = sessionCookie(agent);

    proxy.cut();
    const cutAt = Date.now();
    const slowest = { ms: 0 };
    const timed = async <T>(call: () => Promise<T>) => {
      const started = Date.now();
      const result = await call();
      slowest.ms = Math.max(slowest.ms, Date.now() - started);
      return result;
    };
    const outagePage = await waitFor('a 503 page', async () => {
      const page = await timed(() => agent.get('/cart').set('Accept', 'text/html'));
      return page.status === 503 ? page : undefined;
    });
    expect(Date.now() - cutAt).toBeLessThan(8000);
    expect(outagePage.headers['retry-after']).toBe('5');
    expect(outagePage.text).toContain('temporarily unavailable');
    expect(leaksIn(outagePage.text, [product.title])).toEqual([]);

    // Every kind of request answers the same way while it lasts, none of them slowly.
    for (const path of ['/', '/products', `/products/${product.id}`, '/account', '/orders']) {
      const page = await timed(() => agent.get(path).set('Accept', 'text/html'));
      expect([path, page.status, page.headers['retry-after']]).toEqual([path, 503, '5']);
      expect(leaksIn(page.text)).toEqual([]);
    }
    const write = await timed(() => agent.post('/cart').type('form').send({ productId: product.id }));
    expect(write.status).toBe(503);
    const health = await timed(() => request(app).get('/healthz'));
    expect([health.status, health.body.status]).toEqual([503, 'unavailable']);
    expect(slowest.ms).toBeLessThan(5000);

    proxy.restore();
    // The one MongoDB client must come back, for mongoose's models (users, carts) and the session store.
    await waitFor('/healthz 200 and the cart page', async () => {
      const [healthz, cart] = await Promise.all([request(app).get('/healthz'), agent.get('/cart')]);
      return healthz.status === 200 && cart.status === 200;
    });
    const cart = await agent.get('/cart');
    expect(cart.text).toContain('Outage-proof teapot');
    expect(sessionCookie(agent)).toBe(cookie);
    expect(await cartOf(user._id)).toEqual([{ productId: product.id, quantity: 1 }]);

    // Writes work again: the cart (mongoose's models) and the session (the store), on the one client.
    expect((await postForm(agent, '/cart', { productId: product.id }, '/products')).status).toBe(302);
    expect(await cartOf(user._id)).toEqual([{ productId: product.id, quantity: 2 }]);
    expect((await agent.get('/account')).status).toBe(200);
  }, 90_000);
});
