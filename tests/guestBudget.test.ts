import mongoose from 'mongoose';
import request from 'supertest';
import { someProduct } from './helpers/shop';
import { useTestApp } from './helpers/testApp';

/** A guest's first add to cart stores a session and a cart; one network gets a budget of them. */
const testApp = useTestApp({ GUEST_CARTS_PER_HOUR: '3' });
const sessions = () => mongoose.connection.collection('sessions');

it('stores at most GUEST_CARTS_PER_HOUR new guest carts per network, then answers 429; guests with a cart go on', async () => {
  const product = await someProduct();
  const before = await sessions().countDocuments();
  // The shop's own add-to-cart form, posted without a token (allowed from its own pages).
  const add = (client: ReturnType<typeof request> | ReturnType<typeof request.agent>) =>
    client.post('/cart').set('Sec-Fetch-Site', 'same-origin').type('form').send({ productId: product.id });

  const guest = request.agent(testApp().app);
  expect((await add(guest)).status).toBe(302);
  // A script: no cookies, a new guest each time.
  const statuses: number[] = [];
  for (let i = 0; i < 4; i += 1) statuses.push((await add(request(testApp().app))).status);
  expect(statuses).toEqual([302, 302, 429, 429]);
  expect((await sessions().countDocuments()) - before).toBe(3);
  const refused = await add(request(testApp().app));
  expect(refused.headers['retry-after']).toMatch(/^\d+$/);

  // The guest who has a cart adds to it still.
  expect((await add(guest)).status).toBe(302);
  expect((await sessions().countDocuments()) - before).toBe(3);
});
