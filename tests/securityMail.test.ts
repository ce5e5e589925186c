import fs from 'node:fs/promises';
import request from 'supertest';
import { createMailer, type Mail } from '../src/lib/mailer';
import { createLogger } from '../src/lib/logger';
import { User } from '../src/models/User';
import { PASSWORD, createUser, csrfFrom, csrfToken, logIn, uniqueEmail, type Agent } from './helpers/http';
import { mailsTo, waitForMails } from './helpers/outbox';
import { TEST_OUTBOX, buildApp, testConfig, useTestApp, type TestApp } from './helpers/testApp';

const testApp = useTestApp();
const app = () => testApp().app;

const FIREFOX = 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0';

async function logInWith(agent: Agent, email: string, userAgent = FIREFOX, password = PASSWORD) {
  const _csrf = await csrfToken(agent, '/login');
  return agent.post('/login').set('User-Agent', userAgent).type('form').send({ _csrf, email, password });
}

const notMePathIn = (mail: string) => {
  const match = /\/account\/not-me\/[\w-]{43}/.exec(mail);
  if (!match) throw new Error(`no "this wasn't me" link in:\n${mail}`);
  return match[0];
};

/** Waits until `count` mails went to `email` and returns the last. */
async function nthMail(email: string, count: number): Promise<string> {
  return (await waitForMails(email, count))[count - 1]!;
}

describe('a sign-in from a new browser', () => {
  it('is mailed with when, which browser and which network, except for the first sign-in and known browsers', async () => {
    const email = uniqueEmail('newdevice');
    await createUser(email);
    const laptop = request.agent(app());
    expect((await logInWith(laptop, email)).status).toBe(302);
    expect(await mailsTo(email)).toBe(0);

    // The same browser again, after logging out (it keeps the account's device cookie): no mail.
    const _csrf = await csrfToken(laptop, '/');
    await laptop.post('/logout').type('form').send({ _csrf }).expect(302);
    expect((await logInWith(laptop, email)).status).toBe(302);
    expect(await mailsTo(email)).toBe(0);

    const stranger = request.agent(app());
    expect((await logInWith(stranger, email)).status).toBe(302);
    const mail = await nthMail(email, 1);
    expect(mail).toContain('from a browser that had not signed in to it before');
    expect(mail).toContain('Browser: Firefox 128 on Linux');
    expect(mail).toContain('From the network: 127.0.0.0/24');
    expect(mail).toMatch(/When: \w{3}, \d{2} \w{3} \d{4}/);
    expect(mail).toContain('This wasn’t me');
    notMePathIn(mail);
  });
});

describe('"This wasn\'t me"', () => {
  async function accountWithTwoSessions() {
    const email = uniqueEmail('notme');
    await createUser(email);
    const owner = request.agent(app());
    const intruder = request.agent(app());
    await logInWith(owner, email);
    await logInWith(intruder, email, 'curl/8.0');
    const link = notMePathIn(await nthMail(email, 1));
    return { email, owner, intruder, link };
  }

  it('asks first: opening the link changes nothing', async () => {
    const { owner, intruder, link } = await accountWithTwoSessions();
    const page = await owner.get(link);
    expect(page.status).toBe(200);
    expect(page.text).toContain('Sign out everywhere and reset my password');
    expect(page.headers['referrer-policy']).toBe('no-referrer');
    expect((await intruder.get('/account')).status).toBe(200);
    expect((await owner.get('/account')).status).toBe(200);
  });

  it('ends every session of the account, bumps its credential epoch and mails a reset link, once', async () => {
    const { email, owner, intruder, link } = await accountWithTwoSessions();
    const epochBefore = (await User.findOne({ email }))!.credentialEpoch;
    const anonymous = request.agent(app());
    const page = await anonymous.get(link);
    const confirmed = await anonymous
      .post('/account/not-me')
      .type('form')
      .send({ _csrf: csrfFrom(page.text), token: link.split('/').pop() });
    expect(confirmed.status).toBe(200);
    expect(confirmed.text).toContain('Every device is signed out');

    for (const agent of [owner, intruder]) {
      const account = await agent.get('/account');
      expect([account.status, account.headers.location]).toEqual([302, '/login']);
    }
    expect((await User.findOne({ email }))!.credentialEpoch).toBe(epochBefore + 1);
    expect(await nthMail(email, 2)).toMatch(/\/reset\/[\w-]{43}/);

    const again = await anonymous
      .post('/account/not-me')
      .type('form')
      .send({ _csrf: csrfFrom(page.text), token: link.split('/').pop() });
    expect(again.status).toBe(410);
    expect((await anonymous.get(link)).status).toBe(410);
  });

  it('acts exactly once when confirmed many times at once', async () => {
    const { email, link } = await accountWithTwoSessions();
    const epochBefore = (await User.findOne({ email }))!.credentialEpoch;
    const agent = request.agent(app());
    const _csrf = csrfFrom((await agent.get(link)).text);
    const token = link.split('/').pop();
    const answers = await Promise.all(
      Array.from({ length: 8 }, () => agent.post('/account/not-me').type('form').send({ _csrf, token })),
    );
    expect(answers.map((answer) => answer.status).sort()).toEqual([200, ...Array<number>(7).fill(410)]);
    expect((await User.findOne({ email }))!.credentialEpoch).toBe(epochBefore + 1);
    expect(await mailsTo(email)).toBe(2);
  });

  it.each([['nonsense'], ['A'.repeat(43)]])('answers 410 to the made-up token %s', async (token) => {
    expect((await request(app()).get(`/account/not-me/${token}`)).status).toBe(410);
    const agent = request.agent(app());
    const _csrf = await csrfToken(agent, '/login');
    expect((await agent.post('/account/not-me').type('form').send({ _csrf, token })).status).toBe(410);
  });
});

describe('password changes and resets', () => {
  it('mail the owner with a "this wasn\'t me" link', async () => {
    const email = uniqueEmail('changed');
    await createUser(email);
    const agent = request.agent(app());
    await logIn(agent, email);
    const _csrf = await csrfToken(agent, '/account');
    const newPassword = `${PASSWORD} and more`;
    await agent
      .post('/account/password')
      .type('form')
      .send({ _csrf, currentPassword: PASSWORD, newPassword, confirmNewPassword: newPassword })
      .expect(302);
    const mail = await nthMail(email, 1);
    expect(mail).toContain('was just changed on its account page');
    expect(mail).toContain('From the network: 127.0.0.0/24');
    notMePathIn(mail);
  });
});

describe('a failing mail server', () => {
  let flaky: TestApp;
  let failures = 0;
  let failNext = 0;
  /** The mail server answers nothing until the test lets it. */
  let answer = Promise.resolve();
  beforeAll(async () => {
    const deliver = createMailer(testConfig(), createLogger('silent'));
    flaky = await buildApp(testApp().uri, {}, createLogger('silent'), {
      sendMail: async (mail: Mail) => {
        await answer;
        if (failNext > 0) {
          failNext -= 1;
          failures += 1;
          throw new Error('421 try again later');
        }
        await deliver(mail);
      },
      mailRetryDelaysMs: [10],
    });
  });
  afterAll(() => flaky.close());

  it('never slows or fails the page; the mail is retried until it goes', async () => {
    const email = uniqueEmail('flaky');
    await createUser(email);
    await logInWith(request.agent(flaky.app), email);
    let letItAnswer = () => {};
    answer = new Promise((resolve) => (letItAnswer = resolve));
    failNext = 1;
    try {
      // The page answers while the mail server has not answered at all (a page that waited for the
      // mail would never answer: the test would time out).
      const login = await logInWith(request.agent(flaky.app), email);
      expect(login.status).toBe(302);
    } finally {
      letItAnswer();
    }
    expect(await mailsTo(email)).toBe(1);
    expect(failures).toBe(1);
    await fs.access(TEST_OUTBOX);
  });
});
