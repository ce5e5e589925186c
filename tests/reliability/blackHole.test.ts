import request from 'supertest';
import { loggedInAgent, sessionCookie } from '../helpers/http';
import { cartOf, postForm, someProduct } from '../helpers/shop';
import { leaksIn } from './support/pages';
import { FAST_FAILURE, useProxiedApp } from './support/proxiedApp';
import { sleep, waitFor } from '../../support/waitFor';

const shop = useProxiedApp();
const TIMEOUT_MS = Number(FAST_FAILURE.MONGODB_TIMEOUT_MS);

interface Answer {
  what: string;
  /** When the request was sent, after the database stopped answering. */
  sentAfterMs: number;
  tookMs: number;
  status: number;
  retryAfter?: string;
  leaks: string[];
}

describe('a database that accepts connections but never answers (black hole)', () => {
  it('answers every request 503 with Retry-After within MONGODB_TIMEOUT_MS + 1 s, then recovers', async () => {
    const { app, proxy } = shop();
    const { agent, user } = await loggedInAgent(app);
    const product = await someProduct({ title: 'Black-hole kettle' });
    expect((await postForm(agent, '/cart', { productId: product.id }, '/products')).status).toBe(302);
    const cookie = sessionCookie(agent);
    const _csrf = (/name="_csrf" value="([^"]+)"/.exec((await agent.get('/cart')).text) ?? [])[1] ?? '';

    proxy.blackHole();
    const startedAt = Date.now();
    const requests: Record<string, () => request.Test> = {
      'GET /cart (logged in)': () => agent.get('/cart').set('Accept', 'text/html'),
      'GET /products (anonymous)': () => request(app).get('/products').set('Accept', 'text/html'),
      'POST /cart (a write)': () => agent.post('/cart').type('form').send({ _csrf, productId: product.id }),
      'GET /healthz': () => request(app).get('/healthz'),
    };
    // Before the driver notices (requests wait on silent sockets) and after (it knows the server is gone).
    const sent: Array<Promise<Answer>> = [];
    for (let round = 0; Date.now() - startedAt < 3 * TIMEOUT_MS + 1000; round += 1) {
      for (const [what, send] of Object.entries(requests)) {
        const sentAt = Date.now();
        sent.push(
          send().then((page) => ({
            what,
            sentAfterMs: sentAt - startedAt,
            tookMs: Date.now() - sentAt,
            status: page.status,
            retryAfter: page.headers['retry-after'],
            leaks: leaksIn(page.text, [product.title]),
          })),
        );
      }
      await sleep(250);
    }
    const answers = await Promise.all(sent);
    const firstUnavailableAfterMs = Math.min(...answers.map((answer) => answer.sentAfterMs + answer.tookMs));
    console.log(
      `black hole, MONGODB_TIMEOUT_MS=${TIMEOUT_MS}: first 503 after ${firstUnavailableAfterMs} ms; ` +
        `slowest answer ${Math.max(...answers.map((answer) => answer.tookMs))} ms of ${answers.length}`,
    );

    const wrong = answers.filter(
      (answer) =>
        answer.status !== 503 ||
        answer.tookMs > TIMEOUT_MS + 1000 ||
        (answer.what !== 'GET /healthz' && answer.retryAfter !== '5') ||
        answer.leaks.length > 0,
    );
    expect(wrong).toEqual([]);
    expect(firstUnavailableAfterMs).toBeLessThanOrEqual(TIMEOUT_MS + 1000);

    proxy.restore();
    await waitFor('/healthz 200 and the cart page', async () => {
      const [health, cart] = await Promise.all([request(app).get('/healthz'), agent.get('/cart')]);
      return health.status === 200 && cart.status === 200;
    });
    expect((await agent.get('/cart')).text).toContain('Black-hole kettle');
    expect(sessionCookie(agent)).toBe(cookie);
    // The writes answered 503 wrote nothing: the one item added before the outage is all there is.
    expect(await cartOf(user._id)).toEqual([{ productId: product.id, quantity: 1 }]);
  }, 60_000);
});
