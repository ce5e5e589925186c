import http from 'node:http';
import { createUser } from '../helpers/http';
import { someProduct } from '../helpers/shop';
import { useTestDatabase } from '../helpers/testApp';
import { ShopProcess } from '../../support/shopProcess';
import { logIn } from '../../support/shopFlows';
import { Shopper, reconcile } from '../../support/shopper';
import { waitFor } from '../../support/waitFor';
import { WebClient } from '../../support/webClient';

const database = useTestDatabase();
let server: ShopProcess | undefined;

afterAll(async () => {
  await server?.stop();
});

const SHOPPERS = 20;

interface Outcome {
  startedAt: number;
  endedAt: number;
  status?: number;
  error?: string;
}

describe('SIGTERM under load', () => {
  it('finishes the requests in flight, refuses new ones, exits 0 and loses nothing', async () => {
    const products = await Promise.all([1, 2, 3, 4].map(() => someProduct()));
    const users = await Promise.all(Array.from({ length: SHOPPERS }, () => createUser()));
    // No fast failures: nothing fails here, and a busy machine is slow for seconds.
    server = await ShopProcess.start({ databaseUri: database() });
    const running = server;
    await running.waitUntil('is ready', (status) => status === 200);

    // Half keep their connections open between requests (as browsers and reverse proxies do).
    const keepAlive = new http.Agent({ keepAlive: true, maxSockets: SHOPPERS });
    const shoppers = users.map(
      (user, i) => new Shopper(user.email, new WebClient(running.url, { agent: i % 2 === 0 ? keepAlive : false })),
    );
    await Promise.all(shoppers.map((shopper) => logIn(shopper.client, shopper.email)));

    const outcomes: Outcome[] = [];
    const deadline = Date.now() + 30_000;
    const shop = async (shopper: Shopper) => {
      for (let n = 0; Date.now() < deadline; n += 1) {
        const startedAt = Date.now();
        const product = products[n % products.length]!.id as string;
        const request =
          n % 3 === 0
            ? shopper.client.get('/products')
            : n % 10 === 5 && shopper.hasItems
              ? shopper.placeOrder()
              : shopper.addToCart(product);
        try {
          const page = await request;
          outcomes.push({ startedAt, endedAt: Date.now(), status: page.status });
        } catch (err) {
          outcomes.push({ startedAt, endedAt: Date.now(), error: (err as NodeJS.ErrnoException).code ?? String(err) });
          return; // the server is gone
        }
      }
    };
    const load = Promise.all(shoppers.map(shop));

    // The signal comes once the load is under way: every shopper has had two answers.
    await waitFor('two answers per shopper', async () => outcomes.length >= SHOPPERS * 2, 30_000, 50);
    const signalledAt = Date.now();
    running.signal('SIGTERM');
    const exit = await running.exitWithin(15_000);
    const exitedAfterMs = Date.now() - signalledAt;
    await load;
    keepAlive.destroy();

    expect(exit).toEqual({ code: 0, signal: null });
    expect(exitedAfterMs).toBeLessThan(15_000);
    expect(running.log()).not.toMatch(/took too long|unhandled|uncaught/);

    const answered = outcomes.filter((outcome) => outcome.status !== undefined);
    const statuses = [...new Set(answered.map((outcome) => outcome.status))];
    expect(statuses.filter((status) => !(status! < 400 || status === 503))).toEqual([]);
    const errors = [...new Set(outcomes.flatMap((outcome) => outcome.error ?? []))];
    expect(errors.filter((code) => code !== 'ECONNREFUSED' && code !== 'ECONNRESET')).toEqual([]);
    // Requests under way when the signal came were finished, not dropped.
    const drained = answered.filter((outcome) => outcome.startedAt < signalledAt && outcome.endedAt > signalledAt);
    expect(drained.length).toBeGreaterThan(0);

    // Every answered add is in a cart, every answered order is one order.
    expect(await reconcile(shoppers)).toEqual([]);
  }, 90_000);
});
