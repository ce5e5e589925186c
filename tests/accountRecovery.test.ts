import request from 'supertest';
import { RememberToken } from '../src/models/RememberToken';
import { PASSWORD, createUser, csrfFrom, csrfToken, uniqueEmail, type Agent } from './helpers/http';
import { resetPathIn, waitForMails } from './helpers/outbox';
import { useTestApp } from './helpers/testApp';

/**
 * Getting an account back from someone who got in: "this wasn't me" must keep out whoever knows
 * the password, and a stolen remember-me token must not leave its thief signed in.
 */
const testApp = useTestApp();
const app = () => testApp().app;
const NEW_PASSWORD = 'a fresh and quite long passphrase 42';

async function logInWith(agent: Agent, email: string, password = PASSWORD, fields: Record<string, string> = {}) {
  const _csrf = await csrfToken(agent, '/login');
  return agent
    .post('/login')
    .type('form')
    .send({ _csrf, email, password, ...fields });
}

async function mailNumber(email: string, n: number): Promise<string> {
  const mails = await waitForMails(email, n);
  if (mails.length < n) throw new Error(`only ${mails.length} mails to ${email}, waited for ${n}`);
  return mails[n - 1]!;
}

async function setNewPassword(agent: Agent, resetPath: string, password: string) {
  const page = await agent.get(resetPath);
  const passwordToken = resetPath.split('/').pop();
  return agent
    .post('/new-password')
    .type('form')
    .send({ _csrf: csrfFrom(page.text), passwordToken, password, confirmPassword: password });
}

describe('"This wasn\'t me" against someone who knows the password', () => {
  /** The intruder signs in from a new browser; the owner, mailed, says "this wasn't me". */
  async function disowned() {
    const email = uniqueEmail('recover');
    await createUser(email);
    const owner = request.agent(app());
    await logInWith(owner, email);
    const intruder = request.agent(app());
    expect((await logInWith(intruder, email)).status).toBe(302);
    const notMe = /\/account\/not-me\/[\w-]{43}/.exec(await mailNumber(email, 1))![0];
    const page = await owner.get(notMe);
    const confirmed = await owner
      .post('/account/not-me')
      .type('form')
      .send({ _csrf: csrfFrom(page.text), token: notMe.split('/').pop() });
    expect(confirmed.status).toBe(200);
    const recoveryLink = resetPathIn(await mailNumber(email, 2));
    return { email, owner, intruder, recoveryLink };
  }

  it('refuses the password until the owner has set a new one through the mailed link', async () => {
    const { email, owner, intruder, recoveryLink } = await disowned();

    const refused = await logInWith(intruder, email);
    expect(refused.status).toBe(403);
    expect(refused.text).toContain('This password no longer signs in');
    expect((await intruder.get('/account')).status).toBe(302);
    // To anyone who does not know the password, the answer is the usual one.
    const guess = await logInWith(request.agent(app()), email, 'not the password at all');
    expect(guess.status).toBe(422);
    expect(guess.text).toContain('Invalid email or password.');
    expect(guess.text).not.toContain('no longer signs in');

    expect((await setNewPassword(owner, recoveryLink, NEW_PASSWORD)).status).toBe(302);
    expect((await logInWith(request.agent(app()), email, NEW_PASSWORD)).status).toBe(302);
    expect((await logInWith(intruder, email)).status).toBe(422);
  });

  it("keeps the owner's mailed link working whatever the intruder does meanwhile", async () => {
    const { email, owner, intruder, recoveryLink } = await disowned();
    // The intruder asks for a reset (anyone may): another link goes to the owner's mailbox.
    const _csrf = await csrfToken(intruder, '/reset');
    expect((await intruder.post('/reset').type('form').send({ _csrf, email })).status).toBe(302);
    await mailNumber(email, 3);
    // And tries the old password again: still refused, nothing changes.
    expect((await logInWith(intruder, email)).status).toBe(403);

    expect((await owner.get(recoveryLink)).status).toBe(200);
    expect((await setNewPassword(owner, recoveryLink, NEW_PASSWORD)).status).toBe(302);
    expect((await logInWith(request.agent(app()), email, NEW_PASSWORD)).status).toBe(302);
  });
});

describe('a stolen remember-me token', () => {
  const REMEMBER = 'shop.sid.remember';
  const rememberValue = (agent: Agent) =>
    agent.jar.getCookie(REMEMBER, { domain: '127.0.0.1', path: '/', secure: false, script: false })?.value;

  it('once its reuse is detected, leaves no session restored from it signed in', async () => {
    const email = uniqueEmail('thief');
    const user = await createUser(email);
    const owner = request.agent(app());
    await logInWith(owner, email, PASSWORD, { remember: 'on' });
    const copied = rememberValue(owner)!;

    // The thief uses the copy first: restored, signed in, with the series' next token.
    await testApp().store.destroySessionsOfUser(user.id as string);
    const thief = request.agent(app());
    thief.jar.setCookie(`${REMEMBER}=${copied}`, '127.0.0.1', '/');
    expect((await thief.get('/account')).status).toBe(200);

    // Later, the owner's browser presents the replaced token: theft detected.
    await RememberToken.collection.updateMany(
      { userId: user._id, replacedAt: { $ne: null } },
      { $set: { replacedAt: new Date(Date.now() - 60_000) } },
    );
    expect((await owner.get('/account')).headers.location).toBe('/login');

    const after = await thief.get('/account');
    expect([after.status, after.headers.location]).toEqual([302, '/login']);
    expect(await RememberToken.countDocuments({ userId: user._id })).toBe(0);
  });
});
