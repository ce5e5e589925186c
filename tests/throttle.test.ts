import request from 'supertest';
import { afterResponseSettled } from '../src/lib/afterResponse';
import { PASSWORD, createUser, csrfToken, uniqueEmail } from './helpers/http';
import mongoose from 'mongoose';
import { mailsTo } from './helpers/outbox';
import { buildApp, useTestApp, type TestApp } from './helpers/testApp';
import { waitFor } from '../support/waitFor';

// TRUST_PROXY lets a test pose as different clients with X-Forwarded-For.
const LIMITS = { LOGIN_MAX_FAILURES: '3', LOGIN_MAX_FAILURES_PER_IP: '6', TRUST_PROXY: 'true' };
const testApp = useTestApp(LIMITS);

/** The account's count of failed logins (rate-limiter-flexible's document), if any. */
const loginFailuresOf = (email: string) =>
  mongoose.connection.collection('throttle_login_email').findOne({ key: `login_email:${email}` });

async function attempt(app: TestApp['app'], email: string, password: string, ip = '203.0.113.1') {
  const agent = request.agent(app);
  const _csrf = await csrfToken(agent);
  return agent.post('/login').set('X-Forwarded-For', ip).type('form').send({ _csrf, email, password });
}

describe('login throttling', () => {
  it('refuses an account with 429 and Retry-After after too many failures, even the right password', async () => {
    const email = uniqueEmail();
    await createUser(email);
    for (let i = 0; i < 3; i += 1)
      expect((await attempt(testApp().app, email, 'wrong password!', '198.51.100.7')).status).toBe(422);

    const blocked = await attempt(testApp().app, email, PASSWORD, '198.51.100.7');
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
    expect(blocked.text).toMatch(/Too many attempts\. Please try again in \d+ (seconds|minutes)\./);
    expect(blocked.text).toContain(`value="${email}"`);
  });

  it('counts per account whatever the IP or the letter case of the email', async () => {
    const email = uniqueEmail();
    await createUser(email);
    await attempt(testApp().app, email, 'wrong password!', '192.0.2.1');
    await attempt(testApp().app, email.toUpperCase(), 'wrong password!', '192.0.2.2');
    await attempt(testApp().app, email, 'wrong password!', '192.0.2.3');
    expect((await attempt(testApp().app, email, PASSWORD, '192.0.2.4')).status).toBe(429);
  });

  it('counts per IP whatever the email', async () => {
    const ip = '192.0.2.50';
    for (let i = 0; i < 6; i += 1) await attempt(testApp().app, uniqueEmail('spray'), 'wrong password!', ip);
    const email = uniqueEmail();
    await createUser(email);
    expect((await attempt(testApp().app, email, PASSWORD, ip)).status).toBe(429);
    expect((await attempt(testApp().app, email, PASSWORD, '192.0.2.51')).status).toBe(302);
  });

  it("clears the account's count on a successful login", async () => {
    const email = uniqueEmail();
    await createUser(email);
    const ip = () => `10.9.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}`;
    await attempt(testApp().app, email, 'wrong password!', ip());
    await attempt(testApp().app, email, 'wrong password!', ip());
    expect((await attempt(testApp().app, email, PASSWORD, ip())).status).toBe(302);
    await attempt(testApp().app, email, 'wrong password!', ip());
    await attempt(testApp().app, email, 'wrong password!', ip());
    expect((await attempt(testApp().app, email, PASSWORD, ip())).status).toBe(302);
  });

  it('counts an IPv6 client per /64, not per address', async () => {
    const prefix = '2001:db8:77:1';
    for (let i = 0; i < 6; i += 1) {
      await attempt(testApp().app, uniqueEmail('spray'), 'wrong password!', `${prefix}:${i}::${i + 1}`);
    }
    const email = uniqueEmail();
    await createUser(email);
    expect((await attempt(testApp().app, email, PASSWORD, `${prefix}:ffff:ffff:ffff:ffff`)).status).toBe(429);
    expect((await attempt(testApp().app, email, PASSWORD, '2001:db8:77:2::1')).status).toBe(302);
  });

  it('holds across two app instances sharing one database', async () => {
    const other = await buildApp(testApp().uri, LIMITS);
    try {
      const email = uniqueEmail();
      await createUser(email);
      for (let i = 0; i < 3; i += 1) await attempt(testApp().app, email, 'wrong password!', `172.16.0.${i}`);
      expect((await attempt(other.app, email, PASSWORD, '172.16.1.1')).status).toBe(429);
    } finally {
      await other.close();
    }
  });

  it('counts every one of 20 failed logins that arrive at once', async () => {
    const many = await buildApp(testApp().uri, { LOGIN_MAX_FAILURES: '1000', LOGIN_MAX_FAILURES_PER_IP: '1000' });
    try {
      const email = uniqueEmail();
      await createUser(email);
      const responses = await Promise.all(
        Array.from({ length: 20 }, () => attempt(many.app, email, 'wrong password!', '198.51.100.99')),
      );
      expect(responses.map((response) => response.status)).toEqual(Array(20).fill(422));
      // A server whose `$inc` is not atomic would have lost most of these without `serialized`.
      expect((await loginFailuresOf(email))?.points).toBe(20);
    } finally {
      await many.close();
    }
  });

  it('never compares the password once the limit is reached, even for guesses sent at once', async () => {
    const email = uniqueEmail();
    // A slow hash (cost 12) keeps every guess in flight while the others arrive.
    await createUser(email, PASSWORD, 12);
    const wrong = Array.from({ length: 29 }, () => attempt(testApp().app, email, 'wrong password!', '203.0.113.30'));
    // The right password goes once the guesses have spent the account's budget (LOGIN_MAX_FAILURES).
    await waitFor('three guesses counted', async () => ((await loginFailuresOf(email))?.points ?? 0) >= 3);
    const right = attempt(testApp().app, email, PASSWORD, '203.0.113.30');
    const statuses = (await Promise.all([...wrong, right])).map((response) => response.status);

    // LOGIN_MAX_FAILURES is 3: at most three guesses were evaluated, the others refused unheard.
    expect(statuses.filter((status) => status !== 429).length).toBeLessThanOrEqual(3);
    expect(statuses.at(-1)).toBe(429);
    expect(statuses).not.toContain(302);
  }, 60_000);
});

describe('a browser that has logged in to the account before (device cookie)', () => {
  /** Logs the owner's browser in once, and out again: it keeps its device cookie. */
  async function ownersBrowser(email: string) {
    const owner = request.agent(testApp().app);
    const _csrf = await csrfToken(owner);
    const login = await owner
      .post('/login')
      .set('X-Forwarded-For', '198.51.100.200')
      .type('form')
      .send({ _csrf, email, password: PASSWORD });
    expect(login.status).toBe(302);
    const cookie = (login.headers['set-cookie'] as unknown as string[]).find((c) => c.startsWith('shop.sid.device='));
    expect(cookie).toMatch(/; Max-Age=31536000; .*HttpOnly; SameSite=Strict/);
    const logoutToken = await csrfToken(owner, '/account');
    await owner.post('/logout').type('form').send({ _csrf: logoutToken }).expect(302);
    return owner;
  }

  async function ownerAttempt(owner: request.Agent, email: string, password: string) {
    const _csrf = await csrfToken(owner);
    return owner.post('/login').set('X-Forwarded-For', '198.51.100.200').type('form').send({ _csrf, email, password });
  }

  it("still logs the owner in while strangers' failures lock the account for everyone else", async () => {
    const email = uniqueEmail('owner');
    await createUser(email);
    const owner = await ownersBrowser(email);
    for (let i = 0; i < 5; i += 1) await attempt(testApp().app, email, 'a stranger guessing', `192.0.2.${100 + i}`);
    expect((await attempt(testApp().app, email, PASSWORD, '192.0.2.120')).status).toBe(429);

    expect((await ownerAttempt(owner, email, PASSWORD)).status).toBe(302);
  });

  it("gives the owner's browser a budget of its own, which its failures spend", async () => {
    const email = uniqueEmail('owner');
    await createUser(email);
    const owner = await ownersBrowser(email);
    for (let i = 0; i < 3; i += 1) expect((await ownerAttempt(owner, email, 'mistyped it again')).status).toBe(422);
    expect((await ownerAttempt(owner, email, PASSWORD)).status).toBe(429);
    // The account itself is not locked for other browsers by the owner's typos.
    expect((await attempt(testApp().app, email, PASSWORD, '192.0.2.130')).status).toBe(302);
  });

  it('trusts no device cookie of another account, nor a tampered one', async () => {
    const email = uniqueEmail('owner');
    const victim = uniqueEmail('victim');
    await createUser(email);
    await createUser(victim);
    const attacker = await ownersBrowser(email);
    const device = attacker.jar.getCookie('shop.sid.device', {
      domain: '127.0.0.1',
      path: '/',
      secure: false,
      script: false,
    })!;
    for (let i = 0; i < 3; i += 1) await ownerAttempt(attacker, victim, 'a stranger guessing');
    expect((await attempt(testApp().app, victim, PASSWORD, '192.0.2.140')).status).toBe(429);

    // The signature's first character carries six bits of it: changing it always breaks it.
    const [nonce = '', signature = ''] = device.value.split('.');
    const tampered = `${nonce}.${signature.startsWith('A') ? 'B' : 'A'}${signature.slice(1)}`;
    const stranger = request.agent(testApp().app);
    const _csrf = await csrfToken(stranger);
    const response = await stranger
      .post('/login')
      .set('X-Forwarded-For', '192.0.2.141')
      .set('Cookie', `shop.sid.device=${tampered}`)
      .type('form')
      .send({ _csrf, email: victim, password: PASSWORD });
    expect(response.status).toBe(429);
  });
});

describe('signup and reset limits', () => {
  let limited: TestApp;
  beforeAll(async () => {
    limited = await buildApp(testApp().uri, {
      SIGNUP_MAX_PER_HOUR: '2',
      RESET_MAX_PER_HOUR: '2',
      RESET_MAX_PER_ACCOUNT_PER_HOUR: '3',
      TRUST_PROXY: 'true',
    });
  });
  afterAll(() => limited.close());

  it.each([
    ['/signup', (email: string) => ({ email, password: PASSWORD, confirmPassword: PASSWORD })],
    ['/reset', (email: string) => ({ email })],
  ])('limits %s per IP', async (path, fields) => {
    const statuses: number[] = [];
    for (let i = 0; i < 3; i += 1) {
      const agent = request.agent(limited.app);
      const _csrf = await csrfToken(agent, path);
      const response = await agent
        .post(path)
        .set('X-Forwarded-For', `198.18.0.${path.length}`)
        .type('form')
        .send({ _csrf, ...fields(uniqueEmail()) });
      statuses.push(response.status);
    }
    expect(statuses).toEqual([302, 302, 429]);
  });

  it('limits reset mails per account, whatever the IP', async () => {
    const email = uniqueEmail('flooded');
    await createUser(email);
    const statuses: number[] = [];
    for (let i = 0; i < 5; i += 1) {
      const agent = request.agent(limited.app);
      const _csrf = await csrfToken(agent, '/reset');
      const response = await agent
        .post('/reset')
        .set('X-Forwarded-For', `198.18.1.${i}`)
        .type('form')
        .send({ _csrf, email: i % 2 ? email.toUpperCase() : email });
      statuses.push(response.status);
    }
    expect(statuses).toEqual([302, 302, 302, 429, 429]);
    expect(await mailsTo(email)).toBe(3);
  });
});

describe("strangers' requests for mailed links never lock the owner out of a reset", () => {
  let limited: TestApp;
  beforeAll(async () => {
    limited = await buildApp(testApp().uri, { RESET_MAX_PER_ACCOUNT_PER_HOUR: '3', TRUST_PROXY: 'true' });
  });
  afterAll(() => limited.close());

  async function askForReset(agent: request.Agent, email: string, ip: string) {
    const _csrf = await csrfToken(agent, '/reset');
    return agent.post('/reset').set('X-Forwarded-For', ip).type('form').send({ _csrf, email });
  }

  /** Strangers from three networks ask for the address's reset links: its budget is spent. */
  async function strangersSpendTheBudget(email: string) {
    for (let i = 0; i < 3; i += 1) {
      expect((await askForReset(request.agent(limited.app), email, `198.19.${i}.1`)).status).toBe(302);
    }
    return askForReset(request.agent(limited.app), email, '198.19.9.1');
  }

  /** The owner's browser: it signed in to the account once, and keeps its device cookie. */
  async function ownersBrowser(email: string, signOut = true) {
    const owner = request.agent(limited.app);
    const _csrf = await csrfToken(owner);
    await owner.post('/login').type('form').send({ _csrf, email, password: PASSWORD }).expect(302);
    if (signOut)
      await owner
        .post('/logout')
        .type('form')
        .send({ _csrf: await csrfToken(owner, '/account') });
    return owner;
  }

  it('gives a browser that has signed in to the account a budget of its own', async () => {
    const email = uniqueEmail('recovering');
    await createUser(email);
    const owner = await ownersBrowser(email);
    expect((await strangersSpendTheBudget(email)).status).toBe(429);

    expect((await askForReset(owner, email, '198.19.20.1')).status).toBe(302);
    await afterResponseSettled();
    expect(await mailsTo(email)).toBe(4);
    // Strangers are still capped, and told where the links they asked for went.
    const stranger = await askForReset(request.agent(limited.app), email, '198.19.21.1');
    expect(stranger.status).toBe(429);
    expect(stranger.text).toContain('the newest link we mailed it still works');
  });

  it('gives a session signed in to the account a budget of its own', async () => {
    const email = uniqueEmail('signed-in');
    await createUser(email);
    const owner = await ownersBrowser(email, false);
    expect((await strangersSpendTheBudget(email)).status).toBe(429);

    expect((await askForReset(owner, email, '198.19.30.1')).status).toBe(302);
    await afterResponseSettled();
    expect(await mailsTo(email)).toBe(4);
  });

  it("trusts no device cookie of another account: a stranger's own login gives them nothing here", async () => {
    const email = uniqueEmail('target');
    const strangersEmail = uniqueEmail('stranger');
    await createUser(email);
    await createUser(strangersEmail);
    const stranger = await ownersBrowser(strangersEmail);
    for (let i = 0; i < 3; i += 1) await askForReset(stranger, email, `198.19.40.${i}`);
    expect((await askForReset(stranger, email, '198.19.40.9')).status).toBe(429);
  });

  it('lets no request that mails nothing spend the budget of reset links', async () => {
    const email = uniqueEmail('confirmed');
    await createUser(email);
    // New confirmation links for an address that is confirmed already: nothing is mailed.
    for (let i = 0; i < 4; i += 1) {
      const agent = request.agent(limited.app);
      const _csrf = await csrfToken(agent, '/login');
      await agent.post('/verify/resend').set('X-Forwarded-For', `198.19.50.${i}`).type('form').send({ _csrf, email });
    }
    // The owner, on a browser that never signed in, still gets a reset link.
    expect((await askForReset(request.agent(limited.app), email, '198.19.51.1')).status).toBe(302);
    await afterResponseSettled();
    expect(await mailsTo(email)).toBe(1);
  });
});
