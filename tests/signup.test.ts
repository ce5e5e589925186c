import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { afterResponseSettled } from '../src/lib/afterResponse';
import { AccountToken } from '../src/models/AccountToken';
import { User } from '../src/models/User';
import { PASSWORD, createUser, csrfFrom, csrfToken, logIn, uniqueEmail, type Agent } from './helpers/http';
import { mailsTo, resetPathIn, waitForMail, waitForMailWithSubject, waitForMails } from './helpers/outbox';
import { buildApp, useTestApp, type TestApp } from './helpers/testApp';

const testApp = useTestApp();
const app = () => testApp().app;

async function signUp(agent: Agent, email: string, password = PASSWORD) {
  const _csrf = await csrfToken(agent, '/signup');
  return agent.post('/signup').type('form').send({ _csrf, email, password, confirmPassword: password });
}

function verifyPathIn(mail: string): string {
  const match = /\/verify\/([\w-]{43})/.exec(mail);
  if (!match) throw new Error(`no confirmation link in the mail:\n${mail}`);
  return `/verify/${match[1]}`;
}

/** Opens a confirmation link's page and sends its form with `password`, as the address's owner does. */
async function confirmWith(agent: Agent, link: string, password = PASSWORD, confirmPassword = password) {
  const page = await agent.get(link).expect(200);
  const token = link.split('/')[2];
  return agent
    .post('/verify')
    .type('form')
    .send({ _csrf: csrfFrom(page.text), token, password, confirmPassword });
}

describe('signup that reveals nothing', () => {
  it('gives a new address an unverified account that logs in only once the mailed link is opened', async () => {
    const agent = request.agent(app());
    const email = uniqueEmail('verify');
    const response = await signUp(agent, email);
    expect([response.status, response.headers.location]).toEqual([302, '/login']);
    expect((await agent.get('/login')).text).toContain('Check your inbox');

    const mail = await waitForMail(email);
    expect(mail).toContain('Confirm that this address is yours');
    const user = await User.findOne({ email }).select('+password');
    expect(user?.emailVerifiedAt).toBeNull();
    expect(user?.password).toMatch(/^\$fh2\$\$2[aby]\$04\$/);

    const early = await logIn(agent, email);
    expect(early.status).toBe(403);
    expect(early.text).toContain('Confirm your email address first');
    expect(early.text).toContain('action="/verify/resend"');

    const confirmed = await confirmWith(agent, verifyPathIn(mail));
    expect([confirmed.status, confirmed.headers.location]).toEqual([302, '/login']);
    expect((await agent.get('/login')).text).toContain('Your email address is confirmed');
    expect((await logIn(agent, email)).status).toBe(302);
    expect((await agent.get('/account')).text).toContain(email);

    // Single use: the same link again is expired, and the token is stored only hashed.
    expect((await request(app()).get(verifyPathIn(mail))).status).toBe(410);
    const token = verifyPathIn(mail).split('/')[2]!;
    expect(await AccountToken.countDocuments({ tokenHash: token })).toBe(0);
  });

  it('answers an existing address exactly like a new one, and mails its owner instead', async () => {
    const email = uniqueEmail('taken');
    await createUser(email);
    const fresh = await signUp(request.agent(app()), uniqueEmail('fresh'));
    const agent = request.agent(app());
    const taken = await signUp(agent, email, `${PASSWORD} but another`);

    expect([taken.status, taken.headers.location, taken.text]).toEqual([
      fresh.status,
      fresh.headers.location,
      fresh.text,
    ]);
    expect((await agent.get('/login')).text).toContain('Check your inbox');
    const mail = await waitForMailWithSubject(email);
    expect(mail.subject).toBe('Someone tried to sign up with your address');
    expect(mail.text).toContain('/login');
    expect(mail.text).toContain('/reset');
    expect(await User.countDocuments({ email })).toBe(1);
    // The account and its password are untouched.
    expect((await logIn(request.agent(app()), email)).status).toBe(302);
    expect((await logIn(request.agent(app()), email, `${PASSWORD} but another`)).status).toBe(422);
  });

  it('never tells a wrong password on an unverified account apart from any failure', async () => {
    const agent = request.agent(app());
    const email = uniqueEmail('unverified');
    await signUp(agent, email);
    await waitForMail(email);
    const wrong = await logIn(agent, email, `${PASSWORD}!`);
    expect(wrong.status).toBe(422);
    expect(wrong.text).toContain('Invalid email or password.');
    expect(wrong.text).not.toContain('/verify/resend');
  });

  it('resends a working link on request, and answers the same for an address without one', async () => {
    const agent = request.agent(app());
    const email = uniqueEmail('resend');
    await signUp(agent, email);
    await waitForMail(email);
    const _csrf = await csrfToken(agent, '/login');
    const resend = await agent.post('/verify/resend').type('form').send({ _csrf, email });
    const unknownEmail = uniqueEmail('nobody');
    const unknown = await agent.post('/verify/resend').type('form').send({ _csrf, email: unknownEmail });
    expect([resend.status, resend.headers.location]).toEqual([302, '/login']);
    expect([unknown.status, unknown.headers.location]).toEqual([302, '/login']);

    const [, second] = await waitForMails(email, 2);
    expect(second).toBeDefined();
    expect((await confirmWith(agent, verifyPathIn(second!))).status).toBe(302);
    expect((await logIn(agent, email)).status).toBe(302);
    expect(await mailsTo(unknownEmail)).toBe(0);
  });

  it('confirms an address exactly once when its form is sent many times at once', async () => {
    const email = uniqueEmail('race');
    await signUp(request.agent(app()), email);
    const link = verifyPathIn(await waitForMail(email));
    const agent = request.agent(app());
    const _csrf = csrfFrom((await agent.get(link).expect(200)).text);
    const fields = { _csrf, token: link.split('/')[2], password: PASSWORD, confirmPassword: PASSWORD };
    const statuses = await Promise.all(
      Array.from({ length: 10 }, () => agent.post('/verify').type('form').send(fields)),
    );
    expect(statuses.map((r) => r.status).sort()).toEqual([302, ...Array<number>(9).fill(410)]);
    expect((await User.findOne({ email }))?.emailVerifiedAt).toBeInstanceOf(Date);
  });

  it('refuses an expired link with 410 and keeps the account unverified', async () => {
    const email = uniqueEmail('expired');
    await signUp(request.agent(app()), email);
    const link = verifyPathIn(await waitForMail(email));
    const user = await User.findOne({ email });
    await AccountToken.updateMany({ userId: user?._id }, { $set: { expiresAt: new Date(Date.now() - 1000) } });
    const opened = await request(app()).get(link);
    expect(opened.status).toBe(410);
    expect(opened.text).toContain('expired or was already used');
    expect((await User.findOne({ email }))?.emailVerifiedAt).toBeNull();
  });

  it.each([['not-a-token'], ['A'.repeat(43)]])('answers 410 to the made-up link /verify/%s', async (token) => {
    expect((await request(app()).get(`/verify/${token}`)).status).toBe(410);
  });

  it('confirms an unverified account whose owner resets the password through the mailed link', async () => {
    const email = uniqueEmail('reset-verifies');
    await signUp(request.agent(app()), email);
    await waitForMail(email);
    const agent = request.agent(app());
    const _csrf = await csrfToken(agent, '/reset');
    await agent.post('/reset').type('form').send({ _csrf, email }).expect(302);
    const [, resetMail] = await waitForMails(email, 2);
    const resetPath = resetPathIn(resetMail!);
    const form = await agent.get(resetPath).expect(200);
    const newPassword = `${PASSWORD} renewed`;
    await agent
      .post('/new-password')
      .type('form')
      .send({
        _csrf: /name="_csrf" value="([^"]+)"/.exec(form.text)?.[1],
        passwordToken: resetPath.split('/')[2],
        password: newPassword,
        confirmPassword: newPassword,
      })
      .expect(302);
    expect((await logIn(request.agent(app()), email, newPassword)).status).toBe(302);
    // The password given at signup (perhaps by someone else) is gone.
    expect((await logIn(request.agent(app()), email)).status).toBe(422);
  });
});

describe("a signup with someone else's address (pre-registration)", () => {
  const STRANGERS_PASSWORD = 'the stranger chose this one';
  const OWNERS_PASSWORD = 'the owner of the mailbox typed this';

  /** A stranger signs up with the owner's address; resolves to the welcome mail the owner gets. */
  async function preRegister(email: string) {
    await signUp(request.agent(app()), email, STRANGERS_PASSWORD);
    return waitForMail(email);
  }

  it("lets the mailbox's owner, never the stranger, choose the password that logs in", async () => {
    const email = uniqueEmail('prereg');
    const mail = await preRegister(email);

    // A mail scanner (or the owner) opens the link: that alone lets nobody in.
    const opened = await request(app()).get(verifyPathIn(mail));
    expect((await logIn(request.agent(app()), email, STRANGERS_PASSWORD)).status).toBe(403);
    expect((await User.findOne({ email }))?.emailVerifiedAt).toBeNull();
    expect(opened.status).toBe(200);
    expect(opened.text).toContain('action="/verify"');

    // The owner sends the link's form: the password typed there is the account's.
    const confirmed = await confirmWith(request.agent(app()), verifyPathIn(mail), OWNERS_PASSWORD);
    expect([confirmed.status, confirmed.headers.location]).toEqual([302, '/login']);
    expect((await logIn(request.agent(app()), email, STRANGERS_PASSWORD)).status).toBe(422);
    expect((await logIn(request.agent(app()), email, OWNERS_PASSWORD)).status).toBe(302);
    // The welcome mail tells the owner what to do if it was not them.
    expect(mail).toMatch(/did not sign up\?.*ignore this mail/is);
  });

  it('keeps the stranger out when the owner confirms through a link they asked to be sent again', async () => {
    const email = uniqueEmail('prereg-resend');
    await preRegister(email);
    const owner = request.agent(app());
    const _csrf = await csrfToken(owner, '/login');
    await owner.post('/verify/resend').type('form').send({ _csrf, email }).expect(302);
    const [, resent] = await waitForMails(email, 2);

    expect((await confirmWith(owner, verifyPathIn(resent!), OWNERS_PASSWORD)).status).toBe(302);
    expect((await logIn(request.agent(app()), email, STRANGERS_PASSWORD)).status).toBe(422);
    expect((await logIn(owner, email, OWNERS_PASSWORD)).status).toBe(302);
  });

  it("answers the owner's own later signup with a new link, which keeps the stranger out", async () => {
    const email = uniqueEmail('prereg-again');
    await preRegister(email);
    await signUp(request.agent(app()), email, OWNERS_PASSWORD);
    const [, second] = await waitForMails(email, 2);
    expect(second).toContain('Confirm that this address is yours');

    expect((await confirmWith(request.agent(app()), verifyPathIn(second!), OWNERS_PASSWORD)).status).toBe(302);
    expect((await logIn(request.agent(app()), email, STRANGERS_PASSWORD)).status).toBe(422);
    expect((await logIn(request.agent(app()), email, OWNERS_PASSWORD)).status).toBe(302);
    expect(await User.countDocuments({ email })).toBe(1);
  });

  it('keeps the account unconfirmed, the form shown again, when the form is not filled in right', async () => {
    const email = uniqueEmail('prereg-typo');
    const link = verifyPathIn(await preRegister(email));
    const agent = request.agent(app());
    const mismatch = await confirmWith(agent, link, OWNERS_PASSWORD, `${OWNERS_PASSWORD}!`);
    expect(mismatch.status).toBe(422);
    expect(mismatch.text).toContain('The passwords do not match.');
    expect(mismatch.text).toContain(`value="${link.split('/')[2]}"`);
    const weak = await confirmWith(agent, link, 'password12345678');
    expect(weak.status).toBe(422);
    expect((await User.findOne({ email }))?.emailVerifiedAt).toBeNull();
    // The link still works once the form is right.
    expect((await confirmWith(agent, link, OWNERS_PASSWORD)).status).toBe(302);
  });

  it.each([
    ['no token', 'password=x'],
    ['a made-up token', `token=${'A'.repeat(43)}`],
    ['a repeated token', 'token=a&token=b'],
    ['an operator as the token', 'token[$ne]=x'],
  ])('answers %s with the expired-link page (410), never an error', async (_what, fields) => {
    const agent = request.agent(app());
    const _csrf = await csrfToken(agent, '/login');
    const response = await agent
      .post('/verify')
      .type('form')
      .send(`_csrf=${encodeURIComponent(_csrf)}&${fields}`);
    expect(response.status).toBe(410);
    expect(response.text).toContain('expired or was already used');
  });

  it('refuses a JSON object as the token or the password (4xx, never 500)', async () => {
    const email = uniqueEmail('prereg-json');
    const link = verifyPathIn(await preRegister(email));
    const agent = request.agent(app());
    const _csrf = csrfFrom((await agent.get(link)).text);
    const token = link.split('/')[2];
    const objectToken = await agent.post('/verify').send({ _csrf, token: { $gt: '' }, password: PASSWORD });
    expect(objectToken.status).toBe(410);
    const objectPassword = await agent
      .post('/verify')
      .send({ _csrf, token, password: { $gt: '' }, confirmPassword: { $gt: '' } });
    expect(objectPassword.status).toBe(422);
    expect((await User.findOne({ email }))?.emailVerifiedAt).toBeNull();
  });
});

describe('/dev/mail', () => {
  let dev: TestApp;
  let outbox: string;
  beforeAll(async () => {
    outbox = await fs.mkdtemp(path.join(os.tmpdir(), 'shop-dev-mail-'));
    dev = await buildApp(testApp().uri, { NODE_ENV: 'development', MAIL_OUTBOX_DIR: outbox });
  });
  afterAll(async () => {
    await dev.close();
    await fs.rm(outbox, { recursive: true, force: true });
  });

  it('lists the mails newest first in development, each readable with its links clickable', async () => {
    const first = uniqueEmail('devmail-a');
    const second = uniqueEmail('devmail-b');
    await createUser(first);
    await signUp(request.agent(dev.app), first);
    // Each mail written before the next signup: the list's order is then the signups'.
    await afterResponseSettled();
    await signUp(request.agent(dev.app), second);
    await afterResponseSettled();

    const list = await request(dev.app).get('/dev/mail');
    expect(list.status).toBe(200);
    expect(list.text.indexOf(second)).toBeLessThan(list.text.indexOf(first));
    expect(list.text.indexOf(second)).toBeGreaterThan(-1);
    const firstMail = /href="(\/dev\/mail\/[\w-]+)"/.exec(list.text)?.[1];
    const message = await request(dev.app).get(firstMail!);
    expect(message.status).toBe(200);
    expect(message.text).toContain('Confirm your Fernhill Goods account');
    const link = /<a href="(http[^"]+\/verify\/[\w-]{43})"/.exec(message.text)?.[1];
    expect(link).toBeDefined();
    // The link works: the newcomer can finish signing up without any mail server.
    const opened = await confirmWith(request.agent(dev.app), new URL(link!).pathname);
    expect([opened.status, opened.headers.location]).toEqual([302, '/login']);
    expect((await logIn(request.agent(dev.app), second)).status).toBe(302);
  });

  it('answers 404 to a mail that is not there, or a name that is not a mail', async () => {
    expect((await request(dev.app).get('/dev/mail/12345-nothere')).status).toBe(404);
    expect((await request(dev.app).get('/dev/mail/..%2F..%2Fpackage')).status).toBe(404);
  });

  it('does not exist outside development', async () => {
    expect((await request(app()).get('/dev/mail')).status).toBe(404);
    const production = await buildApp(testApp().uri, {
      NODE_ENV: 'production',
      SMTP_URL: 'smtp://127.0.0.1:1',
      APP_URL: 'https://shop.example',
      BCRYPT_COST: '12',
      PAYMENT_PROVIDER: 'stripe',
      STRIPE_SECRET_KEY: 'sk_test_signup',
      STRIPE_WEBHOOK_SECRET: 'whsec_signup',
    });
    try {
      expect((await request(production.app).get('/dev/mail')).status).toBe(404);
    } finally {
      await production.close();
    }
  });
});
