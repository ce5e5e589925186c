import mongoose from 'mongoose';
import request from 'supertest';
import { User } from '../src/models/User';
import { PASSWORD, createUser, csrfToken, logIn, loggedInAgent, sessionIdFrom, uniqueEmail } from './helpers/http';
import { waitForMail } from './helpers/outbox';
import { someProduct } from './helpers/shop';
import { storedSessionId, useTestApp } from './helpers/testApp';

const testApp = useTestApp();
const app = () => testApp().app;

async function signUp(agent: ReturnType<typeof request.agent>, fields: Record<string, unknown>) {
  const _csrf = await csrfToken(agent, '/signup');
  return agent
    .post('/signup')
    .type('form')
    .send({ _csrf, ...fields });
}

describe('signup', () => {
  it('creates the account with a pre-hashed bcrypt hash and sends the visitor to confirm it, then log in', async () => {
    const agent = request.agent(app());
    const email = uniqueEmail('Signup');
    const response = await signUp(agent, { email, password: PASSWORD, confirmPassword: PASSWORD });

    expect(response.status).toBe(302);
    expect(response.headers.location).toBe('/login');
    // The account is created after the answer, with the mail that confirms it (see signup.test.ts).
    await waitForMail(email.toLowerCase());
    const user = await User.findOne({ email: email.toLowerCase() }).select('+password');
    expect(user?.password).toMatch(/^\$fh2\$\$2[aby]\$04\$/);
    expect(user?.password).not.toContain(PASSWORD);
    const loginPage = await agent.get('/login');
    expect(loginPage.text).toContain('Check your inbox');
  });

  it('makes no second account with the same email, and does not say that it exists', async () => {
    const email = uniqueEmail();
    await createUser(email);
    const response = await signUp(request.agent(app()), { email, password: PASSWORD, confirmPassword: PASSWORD });

    expect([response.status, response.headers.location]).toEqual([302, '/login']);
    await waitForMail(email);
    expect(await User.countDocuments({ email })).toBe(1);
  });

  it.each([
    ['a malformed email', { email: 'not-an-email' }, 'Enter a valid email address.'],
    [
      'a password under 15 characters',
      { password: 'amber lynx fog', confirmPassword: 'amber lynx fog' },
      'at least 15 characters',
    ],
    [
      'a password over 64 characters',
      { password: 'é'.repeat(65), confirmPassword: 'é'.repeat(65) },
      'at most 64 characters',
    ],
    ['passwords that differ', { confirmPassword: `${PASSWORD}!` }, 'The passwords do not match.'],
  ])('refuses %s with 422, the error and the entered email, never the password', async (_, override, message) => {
    const email = uniqueEmail();
    const fields = { email, password: PASSWORD, confirmPassword: PASSWORD, ...override };
    const response = await signUp(request.agent(app()), fields);

    expect(response.status).toBe(422);
    expect(response.text).toContain(message);
    expect(response.text).toContain(`value="${fields.email}"`);
    expect(response.text).not.toContain(fields.password);
    expect(await User.countDocuments({ email: fields.email })).toBe(0);
  });
});

describe('login', () => {
  it('logs in, shows the email in the navigation and gives the visitor a new session id', async () => {
    const agent = request.agent(app());
    const email = uniqueEmail();
    await createUser(email);
    // A guest cart is what gives a visitor a stored session before logging in.
    const product = await someProduct();
    const before = await agent
      .post('/cart')
      .set('Sec-Fetch-Site', 'same-origin')
      .type('form')
      .send({ productId: product.id });
    const anonymousSid = sessionIdFrom(before.headers['set-cookie']);

    const response = await logIn(agent, email);

    expect(response.status).toBe(302);
    expect(response.headers.location).toBe('/');
    const loggedInSid = sessionIdFrom(response.headers['set-cookie']);
    expect(anonymousSid).toBeDefined();
    expect(loggedInSid).toBeDefined();
    expect(loggedInSid).not.toBe(anonymousSid);
    // The pre-login session is gone from the store.
    expect(
      await mongoose.connection.collection('sessions').countDocuments({ _id: storedSessionId(anonymousSid!) as never }),
    ).toBe(0);
    const home = await agent.get('/');
    expect(home.text).toContain(email);
  });

  it('refuses a password that starts with the right one with the generic failure, even past 72 bytes', async () => {
    const email = uniqueEmail();
    const exactly72 = 'seventy-two bytes: '.padEnd(72, 'x');
    await createUser(email, exactly72);
    expect((await logIn(request.agent(app()), email, exactly72)).status).toBe(302);

    // Plain bcrypt would compare only the first 72 bytes and let these in.
    for (const longer of [`${exactly72}!`, `${exactly72}${'y'.repeat(100)}`]) {
      const response = await logIn(request.agent(app()), email, longer);
      expect(response.status).toBe(422);
      expect(response.text).toContain('Invalid email or password.');
    }
  });

  it('gives the same answer for a wrong password and an unknown email', async () => {
    const email = uniqueEmail();
    await createUser(email);
    const wrongPassword = await logIn(request.agent(app()), email, 'a wrong password entirely');
    const unknownEmailAddress = uniqueEmail('nobody');
    const unknownEmail = await logIn(request.agent(app()), unknownEmailAddress, PASSWORD);

    for (const response of [wrongPassword, unknownEmail]) {
      expect(response.status).toBe(422);
      expect(response.text).toContain('Invalid email or password.');
      expect(response.headers.location).toBeUndefined();
    }
    // Apart from the typed email and the form's CSRF token, the two pages are identical.
    const normalise = (html: string, typed: string) =>
      html.replace(/name="_csrf" value="[^"]+"/, '').replaceAll(typed, 'EMAIL');
    expect(normalise(wrongPassword.text, email)).toBe(normalise(unknownEmail.text, unknownEmailAddress));
  });

  it.each([
    ['an operator in a form key', 'form', { 'email[$ne]': 'x', password: PASSWORD }],
    ['a repeated email key', 'form', { email: ['a@example.com', 'b@example.com'], password: PASSWORD }],
    ['a JSON operator', 'json', { email: { $gt: '' }, password: PASSWORD }],
    ['a JSON operator in the password', 'json', { email: 'x@example.com', password: { $ne: 'x' } }],
  ])('refuses %s with 422 and logs nobody in', async (_, type, fields) => {
    await createUser();
    const agent = request.agent(app());
    const _csrf = await csrfToken(agent);
    const response = await agent
      .post('/login')
      .type(type)
      .send({ _csrf, ...fields });

    expect(response.status).toBe(422);
    const home = await agent.get('/');
    expect(home.text).not.toContain('Log out');
  });

  it('sends the visitor back to the page they were going to', async () => {
    const agent = request.agent(app());
    const email = uniqueEmail();
    await createUser(email);
    const protectedPage = await agent.get('/account');
    expect(protectedPage.headers.location).toBe('/login');

    const response = await logIn(agent, email);
    expect(response.headers.location).toBe('/account');
  });
});

describe('logout', () => {
  it('destroys the session in the store, clears the cookie and locks the account page again', async () => {
    const { agent } = await loggedInAgent(app());
    const _csrf = await csrfToken(agent, '/account');
    const sessions = mongoose.connection.collection('sessions');
    const before = await sessions.countDocuments();

    const response = await agent.post('/logout').type('form').send({ _csrf });

    expect(response.status).toBe(302);
    expect(response.headers.location).toBe('/');
    expect(response.headers['set-cookie']?.[0]).toMatch(/^shop\.sid=; Path=\/; Expires=Thu, 01 Jan 1970/);
    expect(await sessions.countDocuments()).toBe(before - 1);
    const account = await agent.get('/account');
    expect(account.status).toBe(302);
    expect(account.headers.location).toBe('/login');
  });

  it('does nothing on GET', async () => {
    const { agent } = await loggedInAgent(app());
    await agent.get('/logout').expect(404);
    await agent.get('/account').expect(200);
  });
});

describe('CSRF protection', () => {
  it('refuses a login without a token with 403', async () => {
    const email = uniqueEmail();
    await createUser(email);
    const agent = request.agent(app());
    await agent.get('/login');
    const response = await agent.post('/login').type('form').send({ email, password: PASSWORD });

    expect(response.status).toBe(403);
    expect((await agent.get('/')).text).not.toContain(email);
  });

  it("refuses another session's token and an array of tokens", async () => {
    const { agent } = await loggedInAgent(app());
    const othersToken = await csrfToken(request.agent(app()));
    const own = await csrfToken(agent, '/account');

    await agent.post('/logout').type('form').send({ _csrf: othersToken }).expect(403);
    await agent
      .post('/logout')
      .type('form')
      .send({ _csrf: [own, own] })
      .expect(403);
    await agent.get('/account').expect(200);
  });
});

describe('session cookie', () => {
  it('is HttpOnly, SameSite=Lax, named shop.sid, only set at login, and ends with the browser session', async () => {
    const home = await request(app()).get('/');
    expect(home.headers['set-cookie']).toBeUndefined();
    const form = await request(app()).get('/login');
    expect(sessionIdFrom(form.headers['set-cookie'])).toBeUndefined();

    const email = uniqueEmail();
    await createUser(email);
    const login = await logIn(request.agent(app()), email);
    const cookie = (login.headers['set-cookie'] as unknown as string[]).find((c) => c.startsWith('shop.sid=')) ?? '';
    expect(cookie).toMatch(/^shop\.sid=s%3A/);
    expect(cookie).toContain('HttpOnly');
    expect(cookie).toContain('SameSite=Lax');
    // No Expires and no Max-Age: a browser-session cookie (the server enforces the timeouts).
    expect(cookie).not.toMatch(/Expires=|Max-Age=/i);
  });

  it('treats a tampered cookie as anonymous', async () => {
    const { agent } = await loggedInAgent(app());
    const login = await agent.get('/account');
    expect(login.status).toBe(200);
    const jar = agent.jar.getCookie('shop.sid', { domain: '127.0.0.1', path: '/', secure: false, script: false });
    const forged = (jar?.value ?? '').replace(/.$/, (c) => (c === 'A' ? 'B' : 'A'));

    const response = await request(app()).get('/account').set('Cookie', `shop.sid=${forged}`);
    expect(response.status).toBe(302);
    expect(response.headers.location).toBe('/login');
  });

  it('sends Cache-Control: no-store on pages for a signed-in user', async () => {
    const { agent } = await loggedInAgent(app());
    const response = await agent.get('/account');
    expect(response.headers['cache-control']).toBe('no-store');
  });
});
