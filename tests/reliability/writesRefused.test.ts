import request from 'supertest';
import { csrfFrom, loggedInAgent } from '../helpers/http';
import { cartOf, someProduct } from '../helpers/shop';
import { leaksIn } from './support/pages';
import { useProxiedApp } from './support/proxiedApp';
import { waitFor } from '../../support/waitFor';
import type { ServerReply } from './support/tcpProxy';

const shop = useProxiedApp();

/**
 * What a MongoDB server answers a write it cannot make. The proxy sends these in the server's
 * place, so the driver, the classification and the app all run as they would against it.
 */
const commandError =
  (code: number, codeName: string, errmsg: string): ServerReply =>
  () => ({ ok: 0, code, codeName, errmsg });
/** Per document, in `writeErrors` of an `ok: 1` reply (findAndModify, which has none, fails whole). */
const documentError =
  (code: number, codeName: string, errmsg: string): ServerReply =>
  (command) =>
    command === 'findAndModify'
      ? { ok: 0, code, codeName, errmsg }
      : { ok: 1, n: 0, nModified: 0, writeErrors: [{ index: 0, code, codeName, errmsg }] };

const REFUSALS: Array<[string, ServerReply, string]> = [
  [
    'out of disk space (OutOfDiskSpace, 14031)',
    commandError(14031, 'OutOfDiskSpace', 'available disk space of 1 MB is below the threshold of 500 MB'),
    'the database refuses writes (out of disk space)',
  ],
  [
    'read-only (IllegalOperation, 20)',
    documentError(20, 'IllegalOperation', 'Cannot execute a write operation in read-only mode'),
    'the database refuses writes (read-only)',
  ],
];

/** A logged-in shopper whose session holds its CSRF token already (storing it is a write too). */
async function shopper() {
  const { agent, user } = await loggedInAgent(shop().app);
  const _csrf = csrfFrom((await agent.get('/products')).text);
  const addToCart = (productId: string) =>
    agent.post('/cart').type('form').set('Accept', 'text/html').send({ _csrf, productId });
  return { agent, user, addToCart };
}

describe('a database that answers reads but refuses writes', () => {
  it.each(REFUSALS)(
    '%s: pages show, writes answer 503, /healthz says why until writes work again',
    async (_what, reply, reason) => {
      const { app, proxy } = shop();
      const { agent, user, addToCart } = await shopper();
      const product = await someProduct({ title: 'Read-only teapot' });
      expect((await addToCart(product.id as string)).status).toBe(302);
      expect((await request(app).get('/healthz')).status).toBe(200);

      proxy.refuseWrites(reply);
      // Reading works: the catalogue and the cart as it was.
      expect((await agent.get('/products')).status).toBe(200);
      const cart = await agent.get('/cart');
      expect([cart.status, cart.text.includes('Read-only teapot')]).toEqual([200, true]);

      const write = await addToCart(product.id as string);
      expect([write.status, write.headers['retry-after']]).toEqual([503, '5']);
      expect(write.text).toContain('cannot save changes right now');
      expect(leaksIn(write.text)).toEqual([]);
      const health = await request(app).get('/healthz');
      expect([health.status, health.body]).toEqual([503, { status: 'unavailable', reason }]);
      // Still refused on the next look: the check tries a write itself.
      expect((await request(app).get('/healthz')).status).toBe(503);

      proxy.restore();
      await waitFor('/healthz 200 once writes work', async () => (await request(app).get('/healthz')).status === 200);
      expect((await addToCart(product.id as string)).status).toBe(302);
      expect(await cartOf(user._id)).toEqual([{ productId: product.id, quantity: 2 }]);
    },
    60_000,
  );

  it('a primary that steps down (NotWritablePrimary) answers writes 503, and is no reason to leave the balancer', async () => {
    const { app, proxy } = shop();
    const { addToCart } = await shopper();
    const product = await someProduct();
    proxy.refuseWrites(commandError(10107, 'NotWritablePrimary', 'not primary'));
    const write = await addToCart(product.id as string);
    expect([write.status, write.headers['retry-after']]).toEqual([503, '5']);
    expect(write.text).toContain('temporarily unavailable');
    // The driver takes the server for a former primary and looks for it anew (a moment of 503 from
    // /healthz); a failover is over in seconds, so it is no reason to report refused writes.
    const health = await request(app).get('/healthz');
    expect(health.body.reason ?? '').not.toContain('refuses writes');
    await waitFor('/healthz 200', async () => (await request(app).get('/healthz')).status === 200, 10_000);
  });

  it('answers a write concern that could not be met (a replica set short of members) with 503', async () => {
    const { proxy } = shop();
    const { addToCart } = await shopper();
    const product = await someProduct();
    proxy.refuseWrites((command) => ({
      ok: 1,
      n: 1,
      ...(command === 'findAndModify' ? { value: null, lastErrorObject: { n: 0 } } : {}),
      writeConcernError: { code: 64, codeName: 'WriteConcernTimeout', errmsg: 'waiting for replication timed out' },
    }));
    const write = await addToCart(product.id as string);
    expect([write.status, write.headers['retry-after']]).toEqual([503, '5']);
  });
});
