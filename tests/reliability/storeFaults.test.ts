import type { Store } from 'express-session';
import { mongo } from 'mongoose';
import request from 'supertest';
import { SessionStoreError } from '@fernhill/session-store';
import { PASSWORD, createUser, csrfFrom, loggedInAgent, uniqueEmail } from '../helpers/http';
import { cartOf, someProduct } from '../helpers/shop';
import { useTestApp } from '../helpers/testApp';
import { leaksIn } from './support/pages';

const testApp = useTestApp();

type Callback = (err?: unknown) => void;
const FAULTS = {
  'the store (scrubbed)': () => new SessionStoreError('could not save session 1a2b3c: connection reset'),
  'the driver': () => new mongo.MongoNetworkError('connection 7 to 127.0.0.1:27017 closed'),
};

/** Makes one store method call back with `error`, as a store does when MongoDB fails under it. */
function failing(method: 'get' | 'set' | 'destroy' | 'touch', error: Error) {
  const store = testApp().store as Store & Required<Pick<Store, 'touch'>>;
  const fail = (...args: unknown[]) => {
    const callback = args[args.length - 1] as Callback;
    process.nextTick(() => callback(error));
  };
  return jest.spyOn(store, method).mockImplementation(fail as never);
}

afterEach(() => jest.restoreAllMocks());

describe.each(Object.entries(FAULTS))('session store failures reported by %s', (_source, makeError) => {
  it('answers a failed read with a 503 error page, not the page', async () => {
    const { agent } = await loggedInAgent(testApp().app);
    failing('get', makeError());
    const page = await agent.get('/cart').set('Accept', 'text/html');
    expect(page.status).toBe(503);
    expect(page.headers['retry-after']).toBe('5');
    expect(page.text).toContain('temporarily unavailable');
    expect(page.text).not.toContain('Your cart');
    expect(leaksIn(page.text)).toEqual([]);
  });

  it('answers a failed save at login with a 503, and the login is not kept', async () => {
    const email = uniqueEmail();
    await createUser(email);
    const agent = request.agent(testApp().app);
    const _csrf = csrfFrom((await agent.get('/login')).text);
    const set = failing('set', makeError());
    const login = await agent.post('/login').type('form').send({ _csrf, email, password: PASSWORD });
    expect(set).toHaveBeenCalled();
    expect(login.status).toBe(503);
    expect(leaksIn(login.text)).toEqual([]);
    set.mockRestore();
    // Whatever cookie the browser holds now, it is not logged in.
    expect((await agent.get('/account')).headers.location).toBe('/login');
  });

  it('answers a failed save after adding to the cart with a 503, never the cart page', async () => {
    const { agent, user } = await loggedInAgent(testApp().app);
    const product = await someProduct();
    const _csrf = csrfFrom((await agent.get('/products')).text);
    failing('set', makeError());
    const response = await agent.post('/cart').type('form').send({ _csrf, productId: product.id });
    expect(response.status).toBe(503);
    expect(response.headers.location).toBeUndefined();
    expect(leaksIn(response.text)).toEqual([]);
    jest.restoreAllMocks();
    // The item itself was stored before the session failed: the cart holds exactly one.
    expect(await cartOf(user._id)).toEqual([{ productId: product.id, quantity: 1 }]);
  });

  it('clears the cookie at logout even when the store cannot delete the session', async () => {
    const { agent } = await loggedInAgent(testApp().app);
    const _csrf = csrfFrom((await agent.get('/account')).text);
    failing('destroy', makeError());
    const logout = await agent.post('/logout').type('form').send({ _csrf });
    expect(logout.status).toBe(503);
    expect(leaksIn(logout.text)).toEqual([]);
    const cleared = (logout.headers['set-cookie'] as unknown as string[] | undefined) ?? [];
    expect(cleared.some((cookie) => /^shop\.sid=;/.test(cookie) && /Expires=Thu, 01 Jan 1970/.test(cookie))).toBe(true);
    jest.restoreAllMocks();
    expect((await agent.get('/account')).headers.location).toBe('/login');
  });
});

describe('a failed touch (moving an unmodified session’s expiry)', () => {
  it('still delivers the page it was for, whole', async () => {
    const { agent } = await loggedInAgent(testApp().app);
    await agent.get('/products'); // issues the CSRF token: later pages leave the session unmodified
    const touch = failing('touch', FAULTS['the store (scrubbed)']());
    const page = await agent.get('/products');
    expect(touch).toHaveBeenCalled();
    expect(page.status).toBe(200);
    expect(page.text).toContain('</html>');
  });
});

describe('an error page that cannot be rendered', () => {
  it('shows its message as plain text, never a stack trace', async () => {
    const { app } = testApp();
    const render = jest.spyOn(app, 'render').mockImplementationOnce(((...args: unknown[]) => {
      const callback = args[args.length - 1] as (err: Error) => void;
      callback(new Error('template exploded'));
    }) as never);
    const page = await request(app).get('/no/such/page').set('Accept', 'text/html');
    expect(render).toHaveBeenCalled();
    expect(page.status).toBe(404);
    expect(page.headers['content-type']).toMatch(/^text\/plain/);
    expect(page.text).toBe('Page not found.');
  });
});
