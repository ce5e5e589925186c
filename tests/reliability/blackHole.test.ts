import request from 'supertest';
import { loggedInAgent, sessionCookie } from '../helpers/http';
import { cartOf, postForm, someProduct } from '../helpers/shop';
import { leaksIn } from './support/pages';
import { FAST_FAILURE, useProxiedApp } from './support/proxiedApp';
import { waitFor } from '../../support/waitFor';

const shop = useProxiedApp();
const TIMEOUT_MS = Number(FAST_FAILURE.MONGODB_TIMEOUT_MS);
/** A bound on the requests of each kind, so that fast answers cannot turn the loop into a flood. */
const MAX_PER_KIND = 20;

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
    // Before the driver notices (requests wait on silent sockets) and after (it knows the server is
    // gone): each kind of request is sent again as soon as its last one is answered, until the
    // window closes (and at most MAX_PER_KIND times, should answers come at once).
    const answers: Answer[] = [];
    const windowEndsAt = startedAt + 3 * TIMEOUT_MS + 1000;
    await Promise.all(
      Object.entries(requests).map(async ([what, send]) => {
        for (let sent = 0; sent < MAX_PER_KIND && Date.now() < windowEndsAt; sent += 1) {
          const sentAt = Date.now();
          const page = await send();
          answers.push({
            what,
            sentAfterMs: sentAt - startedAt,
            tookMs: Date.now() - sentAt,
            status: page.status,
            retryAfter: page.headers['retry-after'],
            leaks: leaksIn(page.text, [product.title]),
          });
        }
      }),
    );
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
