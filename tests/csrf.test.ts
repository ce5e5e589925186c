import mongoose from 'mongoose';
import request from 'supertest';
import {
  PASSWORD,
  createUser,
  csrfFrom,
  csrfToken,
  logIn,
  loggedInAgent,
  sessionIdFrom,
  uniqueEmail,
} from './helpers/http';
import { someProduct } from './helpers/shop';
import { useTestApp } from './helpers/testApp';
import { CSRF_MODE, type CsrfMode } from '../src/middleware/csrf';

const testApp = useTestApp();
const app = () => testApp().app;
const sessions = () => mongoose.connection.collection('sessions');
const cookiesOf = (response: request.Response): string[] =>
  (response.headers['set-cookie'] as unknown as string[] | undefined) ?? [];

/** What each anonymous form posts, besides its token. */
const FORMS: Array<[path: string, page: string, fields: () => Record<string, string>]> = [
  ['/login', '/login', () => ({ email: uniqueEmail(), password: PASSWORD })],
  ['/signup', '/signup', () => ({ email: uniqueEmail(), password: PASSWORD, confirmPassword: PASSWORD })],
  ['/reset', '/reset', () => ({ email: uniqueEmail() })],
  [
    '/new-password',
    '/reset',
    () => ({ passwordToken: 'x'.repeat(43), password: 'a new password 2026', confirmPassword: 'a new password 2026' }),
  ],
  [
    '/verify',
    '/login',
    () => ({ token: 'x'.repeat(43), password: 'a new password 2026', confirmPassword: 'a new password 2026' }),
  ],
  ['/account/email/verify', '/login', () => ({ token: 'x'.repeat(43), password: PASSWORD })],
];

describe('opening a form', () => {
  it.each(['/login', '/signup', '/reset', `/reset/${'A'.repeat(43)}`])(
    'GET %s without a cookie stores no session and sets only the CSRF cookie',
    async (path) => {
      const before = await sessions().countDocuments();
      const page = await request(app()).get(path);

      expect([200, 410]).toContain(page.status);
      expect(await sessions().countDocuments()).toBe(before);
      expect(sessionIdFrom(page.headers['set-cookie'])).toBeUndefined();
      if (page.status === 200) {
        const [csrfCookie, ...others] = cookiesOf(page);
        expect(others).toEqual([]);
        expect(csrfCookie).toMatch(/^shop\.sid\.csrf=[0-9a-f]{64}\.[0-9a-f]{64}; Path=\/; HttpOnly; SameSite=Strict$/);
      }
    },
  );

  it('stores no session for a hundred cookieless visitors opening forms', async () => {
    const before = await sessions().countDocuments();
    await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        request(app())
          .get(['/login', '/signup', '/reset'][i % 3]!)
          .expect(200),
      ),
    );
    expect(await sessions().countDocuments()).toBe(before);
  });

  it('sets one CSRF cookie however many forms a page holds', async () => {
    const { agent } = await loggedInAgent(app());
    await agent
      .post('/cart')
      .type('form')
      .send({ _csrf: await csrfToken(agent, '/account'), productId: (await someProduct()).id });
    await agent
      .post('/cart')
      .type('form')
      .send({ _csrf: await csrfToken(agent, '/account'), productId: (await someProduct()).id });
    const cart = await agent.get('/cart').expect(200);
    expect(cookiesOf(cart).filter((c) => c.startsWith('shop.sid.csrf='))).toHaveLength(1);
  });
});

describe.each(FORMS)('the form posting to %s', (path, page, fields) => {
  it('works with its own token and stores a session only for what it keeps', async () => {
    const agent = request.agent(app());
    const _csrf = await csrfToken(agent, page);
    const response = await agent
      .post(path)
      .type('form')
      .send({ _csrf, ...fields() });
    expect(response.status).not.toBe(403);
  });

  it('refuses a missing, wrong, other-browser or array token with 403', async () => {
    const agent = request.agent(app());
    const own = await csrfToken(agent, page);
    const othersToken = await csrfToken(request.agent(app()), page);
    const before = await sessions().countDocuments();

    const altered = `${own.slice(0, -1)}${own.endsWith('0') ? '1' : '0'}`;
    for (const _csrf of [undefined, 'not-a-token', altered, othersToken, [own, own]]) {
      await agent
        .post(path)
        .type('form')
        .send({ ...(_csrf === undefined ? {} : { _csrf }), ...fields() })
        .expect(403);
    }
    // A same-origin post without any token or cookie is refused too: only "Add to cart" may do that.
    await request(app()).post(path).set('Sec-Fetch-Site', 'same-origin').type('form').send(fields()).expect(403);
    expect(await sessions().countDocuments()).toBe(before);
  });
});

describe('tokens and logins', () => {
  it('refuses the token of the login form once logged in, and takes the new one', async () => {
    const email = uniqueEmail();
    await createUser(email);
    const agent = request.agent(app());
    const beforeLogin = await csrfToken(agent, '/login');
    await agent.post('/login').type('form').send({ _csrf: beforeLogin, email, password: PASSWORD }).expect(302);

    await agent.post('/logout').type('form').send({ _csrf: beforeLogin }).expect(403);
    await agent.get('/account').expect(200);
    const afterLogin = await csrfToken(agent, '/account');
    expect(afterLogin).not.toBe(beforeLogin);
    await agent.post('/logout').type('form').send({ _csrf: afterLogin }).expect(302);
    await agent.get('/account').expect(302);
  });

  it("refuses a logged-in user's token in another session, even with its cookie", async () => {
    const { agent, email } = await loggedInAgent(app());
    const token = await csrfToken(agent, '/account');
    const csrfCookie = agent.jar.getCookie('shop.sid.csrf', {
      domain: '127.0.0.1',
      path: '/',
      secure: false,
      script: false,
    });
    // The same user logged in elsewhere: another session id, which the token is not bound to.
    const other = request.agent(app());
    await logIn(other, email);
    await other
      .post('/logout')
      .set('Cookie', `shop.sid.csrf=${csrfCookie?.value}`)
      .type('form')
      .send({ _csrf: token })
      .expect(403);
  });
});

describe('posting without a token', () => {
  it('lets a cookieless visitor add to the cart from our own pages, and nothing else', async () => {
    const product = await someProduct();
    const added = await request(app())
      .post('/cart')
      .set('Sec-Fetch-Site', 'same-origin')
      .type('form')
      .send({ productId: product.id });
    expect(added.status).toBe(302);
    expect(added.headers.location).toBe('/cart');

    for (const site of ['cross-site', 'same-site', 'none']) {
      await request(app())
        .post('/cart')
        .set('Sec-Fetch-Site', site)
        .type('form')
        .send({ productId: product.id })
        .expect(403);
    }
    await request(app())
      .post('/cart')
      .set('Origin', 'https://evil.example')
      .type('form')
      .send({ productId: product.id })
      .expect(403);
  });

  it('requires the token from a visitor who holds one, and from anyone logged in', async () => {
    const product = await someProduct();
    const visitor = request.agent(app());
    csrfFrom((await visitor.get('/login')).text);
    await visitor
      .post('/cart')
      .set('Sec-Fetch-Site', 'same-origin')
      .type('form')
      .send({ productId: product.id })
      .expect(403);

    const { agent } = await loggedInAgent(app());
    await agent
      .post('/cart')
      .set('Sec-Fetch-Site', 'same-origin')
      .type('form')
      .send({ productId: product.id })
      .expect(403);
  });
});

/** A layer of Express's router: a route, a mounted router, or a middleware. */
interface Layer {
  route?: { path: string; methods: Record<string, boolean>; stack: Layer[] };
  handle: ((...args: unknown[]) => unknown) & { stack?: Layer[]; [CSRF_MODE]?: CsrfMode };
}

/** Every route of the app: its methods, path and the CSRF mode its handlers declare, if any. */
function routesOf(stack: Layer[]): Array<{ methods: string[]; path: string; modes: CsrfMode[] }> {
  return stack.flatMap((layer) => {
    if (layer.route) {
      const modes = layer.route.stack.flatMap((handler) => handler.handle[CSRF_MODE] ?? []);
      return [{ methods: Object.keys(layer.route.methods), path: layer.route.path, modes }];
    }
    return layer.handle.stack ? routesOf(layer.handle.stack) : [];
  });
}

describe('the routes', () => {
  it('declare a CSRF check on every route that changes something, and only "Add to cart" goes without a token', () => {
    const routes = routesOf((app() as unknown as { router: { stack: Layer[] } }).router.stack);
    const changing = routes.filter((route) => route.methods.some((method) => !['get', 'head'].includes(method)));
    // The app has its forms: a walk that found none would prove nothing.
    expect(changing.length).toBeGreaterThan(20);
    // Only the payment provider's routes go without: its webhooks carry a signature instead
    // (routes/payments.ts), and Test Pay's payment page, another company's, its own per-payment token.
    expect(changing.filter((route) => route.modes.length !== 1).map((route) => route.path)).toEqual([
      '/webhooks/payments',
      '/:paymentId',
    ]);
    const tokenless = changing.filter((route) => route.modes[0] === 'tokenless-from-own-pages');
    expect(tokenless.map((route) => route.path)).toEqual(['/cart']);
  });
});
