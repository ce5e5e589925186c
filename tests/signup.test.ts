import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { afterResponseSettled } from '../src/lib/afterResponse';
import { AccountToken } from '../src/models/AccountToken';
import { User } from '../src/models/User';
import { PASSWORD, createUser, csrfToken, logIn, uniqueEmail, type Agent } from './helpers/http';
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
    expect(user?.password).toMatch(/^\$2[aby]\$04\$/);

    const early = await logIn(agent, email);
    expect(early.status).toBe(403);
    expect(early.text).toContain('Confirm your email address first');
    expect(early.text).toContain('action="/verify/resend"');

    const opened = await agent.get(verifyPathIn(mail));
    expect([opened.status, opened.headers.location]).toEqual([302, '/login']);
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
    expect((await agent.get(verifyPathIn(second!))).status).toBe(302);
    expect((await logIn(agent, email)).status).toBe(302);
    expect(await mailsTo(unknownEmail)).toBe(0);
  });

  it('confirms an address exactly once when its link is opened many times at once', async () => {
    const email = uniqueEmail('race');
    await signUp(request.agent(app()), email);
    const link = verifyPathIn(await waitForMail(email));
    const statuses = await Promise.all(Array.from({ length: 10 }, () => request(app()).get(link)));
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
    const opened = await request(dev.app).get(new URL(link!).pathname);
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
    });
    try {
      expect((await request(production.app).get('/dev/mail')).status).toBe(404);
    } finally {
      await production.close();
    }
  });
});
