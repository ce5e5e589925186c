import request from 'supertest';
import { afterResponseSettled } from '../src/lib/afterResponse';
import * as passwords from '../src/lib/passwords';
import { PasswordReset, hashToken, newToken } from '../src/models/PasswordReset';
import { User } from '../src/models/User';
import { PASSWORD, createUser, csrfToken, logIn, loggedInAgent, uniqueEmail, type Agent } from './helpers/http';
import { capturingLogger } from './helpers/logs';
import { mailsTo, resetPathIn, waitForMailWithSubject, waitForMails } from './helpers/outbox';
import { buildApp, useTestApp } from './helpers/testApp';

// Emails of their own: the test outbox is shared by the test files one jest worker runs.
const testApp = useTestApp({ RESET_MAX_PER_ACCOUNT_PER_HOUR: '100', LOGIN_MAX_FAILURES: '3' });
const app = () => testApp().app;
const NEW_PASSWORD = 'a brand new password 2026';

async function post(agent: Agent, path: string, fields: Record<string, unknown>, from: string) {
  const _csrf = await csrfToken(agent, from);
  return agent
    .post(path)
    .type('form')
    .send({ _csrf, ...fields });
}

/** Asks for a reset link and returns it, from the newest mail to this address. */
async function resetLinkFor(email: string): Promise<string> {
  const before = await mailsTo(email);
  const response = await post(request.agent(app()), '/reset', { email }, '/reset');
  expect(response.status).toBe(302);
  return resetPathIn((await waitForMails(email, before + 1)).at(-1)!);
}

const useLink = (link: string, password = NEW_PASSWORD) =>
  post(
    request.agent(app()),
    '/new-password',
    { passwordToken: link.split('/').pop(), password, confirmPassword: password },
    // Any form's token will do (a dead link shows no form).
    '/reset',
  );

const changePassword = (agent: Agent, newPassword = NEW_PASSWORD) =>
  post(
    agent,
    '/account/password',
    { currentPassword: PASSWORD, newPassword, confirmNewPassword: newPassword },
    '/account',
  );

/** Holds the next password comparison (a slow bcrypt) until released, and says when it began. */
function slowNextPasswordCheck() {
  const verify = passwords.verifyPassword;
  let began = () => {};
  const started = new Promise<void>((resolve) => (began = resolve));
  let release = () => {};
  const released = new Promise<void>((resolve) => (release = resolve));
  const spy = jest.spyOn(passwords, 'verifyPassword').mockImplementationOnce(async (password, hash) => {
    began();
    await released;
    return verify(password, hash);
  });
  return { started, release, restore: () => spy.mockRestore() };
}

describe('a login whose password check began before the credentials changed', () => {
  const changes: Array<[string, (email: string, owner: Agent, link: string) => Promise<unknown>]> = [
    ['a password reset', (_email, _owner, link) => useLink(link).then((r) => expect(r.status).toBe(302))],
    ['a password change', (_email, owner) => changePassword(owner).then((r) => expect(r.status).toBe(302))],
    [
      'a sign-out everywhere',
      (_email, owner) =>
        post(owner, '/account/sessions/revoke-others', {}, '/account').then((r) => expect(r.status).toBe(302)),
    ],
  ];

  it.each(changes)('is ended by %s that finished meanwhile', async (_what, change) => {
    const { agent: owner, email } = await loggedInAgent(app(), uniqueEmail('cred'));
    const link = await resetLinkFor(email);
    const attacker = request.agent(app());
    const _csrf = await csrfToken(attacker, '/login');

    const slow = slowNextPasswordCheck();
    try {
      const login = attacker.post('/login').type('form').send({ _csrf, email, password: PASSWORD });
      const loginDone = login.then((response) => response);
      await slow.started;
      await change(email, owner, link);
      slow.release();
      // The old password was right when it was checked: the login itself goes through...
      expect((await loginDone).status).toBe(302);
    } finally {
      slow.restore();
    }
    // ...but the session it wrote is dead at once.
    const account = await attacker.get('/account');
    expect(account.status).toBe(302);
    expect(account.headers.location).toBe('/login');
  });

  it('keeps the session that changed the password or signed out the others', async () => {
    const { agent: owner } = await loggedInAgent(app(), uniqueEmail('cred'));
    expect((await post(owner, '/account/sessions/revoke-others', {}, '/account')).status).toBe(302);
    await owner.get('/account').expect(200);
    expect((await changePassword(owner)).status).toBe(302);
    await owner.get('/account').expect(200);
  });

  it('keeps sessions of users stored before credential epochs existed', async () => {
    const { agent, user } = await loggedInAgent(app(), uniqueEmail('cred'));
    await User.collection.updateOne({ _id: user._id }, { $unset: { credentialEpoch: 1 } });
    await agent.get('/account').expect(200);
    expect((await changePassword(agent)).status).toBe(302);
    await agent.get('/account').expect(200);
    expect((await User.findById(user._id))?.credentialEpoch).toBe(1);
  });
});

describe('reset links', () => {
  it('end when a newer link is requested', async () => {
    const email = uniqueEmail('cred');
    await createUser(email);
    const first = await resetLinkFor(email);
    const second = await resetLinkFor(email);

    expect((await request(app()).get(first)).status).toBe(410);
    expect((await useLink(first)).status).toBe(410);
    expect((await useLink(second)).status).toBe(302);
  });

  it('end when another link of the account is used', async () => {
    const email = uniqueEmail('cred');
    const user = await createUser(email);
    const link = await resetLinkFor(email);
    // A second link sent at the same moment (two requests racing): both were mailed.
    const other = newToken();
    await PasswordReset.create({
      userId: user._id,
      tokenHash: hashToken(other),
      expiresAt: new Date(Date.now() + 60_000),
      epoch: 0,
    });

    expect((await useLink(link)).status).toBe(302);
    expect((await request(app()).get(`/reset/${other}`)).status).toBe(410);
    expect((await useLink(`/reset/${other}`, 'the attackers new password')).status).toBe(410);
    expect((await logIn(request.agent(app()), email, NEW_PASSWORD)).status).toBe(302);
  });

  it('end when the password is changed on the account page', async () => {
    const { agent, email } = await loggedInAgent(app(), uniqueEmail('cred'));
    const link = await resetLinkFor(email);
    expect((await changePassword(agent)).status).toBe(302);

    expect((await request(app()).get(link)).status).toBe(410);
    expect((await useLink(link, 'the attackers new password')).status).toBe(410);
    expect((await logIn(request.agent(app()), email, NEW_PASSWORD)).status).toBe(302);
  });

  it('leave exactly one working link after five requests at once', async () => {
    const email = uniqueEmail('cred');
    await createUser(email);
    const forms = await Promise.all(
      Array.from({ length: 5 }, async () => {
        const agent = request.agent(app());
        return { agent, _csrf: await csrfToken(agent, '/reset') };
      }),
    );
    await Promise.all(forms.map(({ agent, _csrf }) => agent.post('/reset').type('form').send({ _csrf, email })));
    const links = (await waitForMails(email, 5)).map(resetPathIn);
    expect(links).toHaveLength(5);

    const statuses = await Promise.all(links.map(async (link) => (await request(app()).get(link)).status));
    expect(statuses.filter((status) => status === 200)).toHaveLength(1);
    expect(await PasswordReset.countDocuments({ usedAt: null, userId: (await User.findOne({ email }))!._id })).toBe(1);
  });

  it('lift a lockout once the reset is done', async () => {
    const email = uniqueEmail('cred');
    await createUser(email);
    for (let i = 0; i < 3; i += 1) await logIn(request.agent(app()), email, 'a wrong password!!');
    expect((await logIn(request.agent(app()), email, PASSWORD)).status).toBe(429);

    expect((await useLink(await resetLinkFor(email))).status).toBe(302);
    expect((await logIn(request.agent(app()), email, NEW_PASSWORD)).status).toBe(302);
  });
});

describe('a password-changed mail', () => {
  it('goes to the owner after a change on the account page and after a reset', async () => {
    const { agent, email } = await loggedInAgent(app(), uniqueEmail('cred'));
    expect((await changePassword(agent, 'my second password 2026')).status).toBe(302);
    const changed = await waitForMailWithSubject(email);
    expect(changed.subject).toBe('Your Fernhill Goods password was changed');
    expect(changed.text).toContain('changed on its account page');
    expect(changed.text).toContain('http://localhost:3000/reset');

    const other = uniqueEmail('cred');
    await createUser(other);
    expect((await useLink(await resetLinkFor(other))).status).toBe(302);
    expect((await waitForMails(other, 2))[1]).toContain('reset with a link we mailed you');
  });

  it('is sent after the response, and a failing mailer is retried, then logged', async () => {
    const capture = capturingLogger();
    const shop = await buildApp(testApp().uri, {}, capture.logger, {
      sendMail: () => Promise.reject(new Error('SMTP server is down')),
      mailRetryDelaysMs: [10, 10],
    });
    try {
      const { agent } = await loggedInAgent(shop.app, uniqueEmail('cred'));
      const response = await changePassword(agent);
      expect(response.status).toBe(302);
      expect(response.headers.location).toBe('/account');
      await agent.get('/account').expect(200);
      await afterResponseSettled();
      expect(capture.text()).toContain('could not send a password-changed mail');
      expect(capture.text()).toContain('SMTP server is down');
      expect(capture.text().split('could not send a mail; trying again')).toHaveLength(3);
    } finally {
      await shop.close();
    }
  });
});
