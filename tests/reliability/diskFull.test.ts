import mongoose from 'mongoose';
import request from 'supertest';
import { connectMongoose } from '../../src/db';
import { csrfFrom, loggedInAgent } from '../helpers/http';
import { cartOf, someProduct } from '../helpers/shop';
import { buildApp, testConfig, type TestApp } from '../helpers/testApp';
import { FerretDbProcess } from './support/ferretDbProcess';
import { leaksIn } from './support/pages';
import { waitFor } from '../../support/waitFor';

/**
 * The real thing, on every test run (whichever server MONGODB_URI names): the shop on a FerretDB
 * of its own whose SQLite files may not grow, so that every write fails in the storage itself
 * and FerretDB reports it as it would a full disk, while reads keep working.
 */
let ferret: FerretDbProcess | undefined;
let shop: TestApp | undefined;

beforeAll(async () => {
  ferret = await FerretDbProcess.start();
  const uri = ferret.uri('shop_disk_full');
  await connectMongoose(uri, testConfig());
  await Promise.all(Object.values(mongoose.models).map((model) => model.init()));
  shop = await buildApp(uri);
}, 200_000);

afterAll(async () => {
  ferret?.limitFileSize(undefined);
  await shop?.close().catch(() => {});
  await mongoose.disconnect();
  await ferret?.stop();
});

describe('the database cannot write to its disk (FerretDB with a file-size limit of 0)', () => {
  it('shows pages, answers writes 503 and /healthz 503 with the reason; all is well once the disk takes writes', async () => {
    const { app } = shop!;
    const { agent, user } = await loggedInAgent(app);
    const product = await someProduct({ title: 'Full-disk teacup' });
    const _csrf = csrfFrom((await agent.get('/products')).text);
    const addToCart = () =>
      agent.post('/cart').type('form').set('Accept', 'text/html').send({ _csrf, productId: product.id });
    expect((await addToCart()).status).toBe(302);

    ferret!.limitFileSize(0);
    expect((await agent.get('/products')).status).toBe(200);
    const cart = await agent.get('/cart');
    expect([cart.status, cart.text.includes('Full-disk teacup')]).toEqual([200, true]);

    const write = await addToCart();
    expect([write.status, write.headers['retry-after']]).toEqual([503, '5']);
    expect(write.text).toContain('cannot save changes right now');
    expect(leaksIn(write.text)).toEqual([]);
    const health = await request(app).get('/healthz');
    expect([health.status, health.body]).toEqual([
      503,
      { status: 'unavailable', reason: 'the database refuses writes (cannot write to its disk)' },
    ]);

    ferret!.limitFileSize(undefined);
    await waitFor(
      '/healthz 200 once the disk takes writes',
      async () => (await request(app).get('/healthz')).status === 200,
    );
    expect((await addToCart()).status).toBe(302);
    expect(await cartOf(user._id)).toEqual([{ productId: product.id, quantity: 2 }]);
  }, 60_000);
});
