import mongoose from 'mongoose';
import request from 'supertest';
import { GuestCart } from '../src/models/GuestCart';
import { Order } from '../src/models/Order';
import { Product } from '../src/models/Product';
import { User } from '../src/models/User';
import { PASSWORD, createUser, logIn, sessionCookie, sessionIdFrom, uniqueEmail, type Agent } from './helpers/http';
import { createProduct, postForm, checkOut } from './helpers/shop';
import {
  buildApp,
  editStoredSession,
  storedSession,
  storedSessionId,
  storedUserKey,
  useTestApp,
} from './helpers/testApp';

const testApp = useTestApp();
const app = () => testApp().app;
const sessions = () => mongoose.connection.collection('sessions');
const FIREFOX = 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0';
const SAFARI =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1';

/** One user logged in on several "devices" (agents with their own cookies and user agents). */
async function userOnDevices(userAgents: string[]) {
  const email = uniqueEmail();
  const user = await createUser(email);
  const devices: Agent[] = [];
  for (const userAgent of userAgents) {
    const agent = request.agent(app()).set('User-Agent', userAgent);
    expect((await logIn(agent, email)).status).toBe(302);
    devices.push(agent);
  }
  return { email, user, devices };
}

describe('the account page', () => {
  it("lists the user's sessions with browser and OS, how and from which network they signed in, marking this device", async () => {
    const { devices } = await userOnDevices([FIREFOX, SAFARI]);
    const page = await devices[0]!.get('/account');
    expect(page.status).toBe(200);
    expect(page.text).toContain('Firefox 128 on Linux');
    expect(page.text).toContain('Safari 17 on iOS');
    expect(page.text.match(/data-testid="session"/g)).toHaveLength(2);
    // The network only (an IPv4 /24), never the address.
    expect(
      page.text.match(/Signed in with the password <time[^>]*>[^<]*<\/time>\s+from network 127\.0\.0\.0\/24/g),
    ).toHaveLength(2);
    expect(page.text).not.toContain('127.0.0.1');
    expect(page.text).toMatch(/Firefox 128 on Linux<\/strong> <span class="badge">This device/);
    // Sessions are named by their stored handle (an HMAC) on the page, never by the cookie's id.
    for (const device of devices) expect(page.text).not.toContain(sessionIdFrom(sessionCookie(device))!);
    const handles = [...page.text.matchAll(/name="session" value="([0-9a-f]{64})"/g)].map((match) => match[1]);
    expect(handles).toHaveLength(1);
    expect(handles[0]).toBe(storedSessionId(sessionIdFrom(sessionCookie(devices[1]!))!));
  });

  it('signs out one other device', async () => {
    const { devices } = await userOnDevices([FIREFOX, SAFARI]);
    const page = await devices[0]!.get('/account');
    const handle = /name="session" value="([0-9a-f]+)"/.exec(page.text)?.[1];
    await postForm(devices[0]!, '/account/sessions/revoke', { session: handle }, '/account');

    expect((await devices[1]!.get('/account')).headers.location).toBe('/login');
    expect((await devices[0]!.get('/account')).status).toBe(200);
  });

  it('signs out everywhere else', async () => {
    const { devices } = await userOnDevices([FIREFOX, SAFARI, FIREFOX]);
    const response = await postForm(devices[0]!, '/account/sessions/revoke-others', {}, '/account');
    expect(response.headers.location).toBe('/account');
    expect((await devices[0]!.get('/account')).text).toContain('Signed out 2 other devices.');
    for (const other of devices.slice(1)) expect((await other.get('/account')).headers.location).toBe('/login');
  });
});

describe('several instances', () => {
  it('a device signed out through one instance is signed out on the other', async () => {
    const other = await buildApp(testApp().uri);
    try {
      const { devices } = await userOnDevices([FIREFOX, SAFARI]);
      const cookie = sessionCookie(devices[1]!);
      expect((await request(other.app).get('/account').set('Cookie', cookie)).status).toBe(200);

      await postForm(devices[0]!, '/account/sessions/revoke-others', {}, '/account');

      expect((await request(other.app).get('/account').set('Cookie', cookie)).headers.location).toBe('/login');
    } finally {
      await other.close();
    }
  });
});

describe('changing the password', () => {
  const change = (agent: Agent, fields: Record<string, string>) =>
    postForm(agent, '/account/password', fields, '/account');
  const NEW = 'my new password is long';

  it('needs the current password', async () => {
    const { devices } = await userOnDevices([FIREFOX]);
    const response = await change(devices[0]!, {
      currentPassword: 'wrong one',
      newPassword: NEW,
      confirmNewPassword: NEW,
    });
    expect(response.status).toBe(422);
    expect(response.text).toContain('That is not your current password.');
  });

  it('validates the new password like signup', async () => {
    const { devices } = await userOnDevices([FIREFOX]);
    const response = await change(devices[0]!, {
      currentPassword: PASSWORD,
      newPassword: 'short',
      confirmNewPassword: 'short',
    });
    expect(response.status).toBe(422);
    expect(response.text).toContain('at least 15 characters');
  });

  it('signs out the other sessions but not this one, whose id changes', async () => {
    const { email, devices } = await userOnDevices([FIREFOX, SAFARI]);
    const [current, other] = devices as [Agent, Agent];
    const response = await change(current, { currentPassword: PASSWORD, newPassword: NEW, confirmNewPassword: NEW });

    expect(response.headers.location).toBe('/account');
    expect(sessionIdFrom(response.headers['set-cookie'])).toBeDefined();
    expect((await current.get('/account')).status).toBe(200);
    expect((await other.get('/account')).headers.location).toBe('/login');
    expect((await logIn(request.agent(app()), email, NEW)).status).toBe(302);
  });
});

describe('deleting the account', () => {
  it('needs the password', async () => {
    const { devices, user } = await userOnDevices([FIREFOX]);
    const response = await postForm(devices[0]!, '/account/delete', { password: 'not it' }, '/account');
    expect(response.status).toBe(422);
    expect(await User.findById(user._id)).not.toBeNull();
  });

  it('counts each password it checks like a login: a stolen session cannot guess through it', async () => {
    const { devices, user } = await userOnDevices([FIREFOX]);
    const limit = testApp().config.LOGIN_MAX_FAILURES;
    for (let i = 0; i < limit; i += 1) {
      const guess = await postForm(devices[0]!, '/account/delete', { password: `guess number ${i}` }, '/account');
      expect(guess.status).toBe(422);
    }
    // Over the budget, even the right password is not checked.
    const refused = await postForm(devices[0]!, '/account/delete', { password: PASSWORD }, '/account');
    expect(refused.status).toBe(429);
    expect(refused.headers['retry-after']).toMatch(/^\d+$/);
    expect(await User.findById(user._id)).not.toBeNull();
  });

  it('removes the user, their sessions and cart, keeps the products they added and their orders without personal data', async () => {
    const { devices, user, email } = await userOnDevices([FIREFOX, SAFARI]);
    const own = await createProduct(user, { title: 'Leaving Soon' });
    const other = await createProduct(await createUser());
    await user.mergeCart([{ productId: other._id, quantity: 2 }]);
    const shopper = await createUser();
    await shopper.mergeCart([{ productId: own._id, quantity: 1 }]);
    await checkOut(devices[0]!);
    expect(await Order.countDocuments({ userId: user._id })).toBe(1);

    const response = await postForm(devices[0]!, '/account/delete', { password: PASSWORD }, '/account');

    expect(response.headers.location).toBe('/');
    expect(await User.findById(user._id)).toBeNull();
    expect(await sessions().countDocuments({ user: storedUserKey(user.id as string) })).toBe(0);
    // Products are the shop's, whoever added them.
    expect(await Product.findById(own._id)).not.toBeNull();
    expect((await User.findById(shopper._id))?.cart.items).toHaveLength(1);
    const orders = await Order.find({ email }).lean();
    expect(orders).toHaveLength(0);
    expect(await Order.countDocuments({ userId: null, 'lines.productId': other._id })).toBe(1);
    for (const device of devices) expect((await device.get('/account')).headers.location).toBe('/login');
    expect((await devices[0]!.get('/')).text).toContain('Your account is deleted');
    expect(await GuestCart.countDocuments()).toBe(0);
  });

  it('deletes accounts whose orders were made from carts of the same version', async () => {
    const product = await createProduct(await createUser());
    const accounts = [await userOnDevices([FIREFOX]), await userOnDevices([FIREFOX])];
    for (const { user, devices } of accounts) {
      await user.mergeCart([{ productId: product._id, quantity: 1 }]);
      await checkOut(devices[0]!);
    }
    const orders = await Promise.all(accounts.map(({ user }) => Order.findOne({ userId: user._id }).lean()));
    const versions = new Set(orders.map((order) => order?.cartVersion));
    expect(versions.size).toBe(1);

    for (const { devices } of accounts) {
      const response = await postForm(devices[0]!, '/account/delete', { password: PASSWORD }, '/account');
      expect(response.headers.location).toBe('/');
    }
    for (const { user } of accounts) expect(await User.findById(user._id)).toBeNull();
    expect(await Order.countDocuments({ userId: null, 'lines.productId': product._id })).toBe(2);
  });
});

describe('return-to after login', () => {
  it.each([
    ['//evil.example/path', '/'],
    ['https://evil.example/', '/'],
    ['/\\evil.example', '/'],
    ['/orders', '/orders'],
  ])('sends %s to %s', async (target, expected) => {
    const email = uniqueEmail();
    await createUser(email);
    const agent = request.agent(app());
    // A protected page stores a session with its return path; a hostile value then replaces it,
    // planted straight into the store as a bug elsewhere might.
    const sid = sessionIdFrom((await agent.get('/account')).headers['set-cookie']) ?? 'none';
    const { store } = testApp();
    await editStoredSession(store, sid, (data) => ({ ...data, returnTo: target }));
    expect((await storedSession(store, sid))?.returnTo).toBe(target);
    const response = await logIn(agent, email);
    expect(response.headers.location).toBe(expected);
  });
});
