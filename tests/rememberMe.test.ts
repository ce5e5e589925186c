import request from 'supertest';
import { afterResponseSettled } from '../src/lib/afterResponse';
import { RememberToken } from '../src/models/RememberToken';
import { SecurityEvent } from '../src/models/SecurityEvent';
import { PASSWORD, createUser, csrfToken, sessionIdFrom, uniqueEmail, type Agent } from './helpers/http';
import { waitForMailWithSubject } from './helpers/outbox';
import { useTestApp } from './helpers/testApp';

const testApp = useTestApp();
const app = () => testApp().app;
const REMEMBER = 'shop.sid.remember';

async function logInRemembered(agent: Agent, email: string, remember = true) {
  const _csrf = await csrfToken(agent, '/login');
  return agent
    .post('/login')
    .type('form')
    .send({ _csrf, email, password: PASSWORD, ...(remember ? { remember: 'on' } : {}) });
}

const cookieNamed = (setCookie: string[] | string | undefined, name: string) =>
  [setCookie ?? []].flat().find((cookie) => cookie.startsWith(`${name}=`));

const rememberValue = (agent: Agent) =>
  agent.jar.getCookie(REMEMBER, { domain: '127.0.0.1', path: '/', secure: false, script: false })?.value;

/** Ends every session of the account on the server, as an idle or absolute timeout does. */
const endSessions = (userId: string) => testApp().store.destroySessionsOfUser(userId);

describe('remember me', () => {
  it('unchecked: no token, and the session cookie ends with the browser', async () => {
    const email = uniqueEmail('forget');
    await createUser(email);
    const login = await logInRemembered(request.agent(app()), email, false);
    expect(cookieNamed(login.headers['set-cookie'], REMEMBER)).toBeUndefined();
    expect(cookieNamed(login.headers['set-cookie'], 'shop.sid')).not.toMatch(/Expires=/i);
  });

  it('checked: logs the browser back in under a new session id once the session has ended, rotating the token', async () => {
    const email = uniqueEmail('remember');
    const user = await createUser(email);
    const agent = request.agent(app());
    const login = await logInRemembered(agent, email);
    const cookie = cookieNamed(login.headers['set-cookie'], REMEMBER);
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/Expires=/i);
    const firstToken = rememberValue(agent);
    const firstSid = sessionIdFrom(login.headers['set-cookie']);
    expect(await RememberToken.countDocuments({ tokenHash: firstToken })).toBe(0);

    await endSessions(user.id as string);
    const page = await agent.get('/account');
    expect(page.status).toBe(200);
    expect(page.text).toContain(email);
    expect(page.text).toContain('Signed in with “remember me”');
    expect(sessionIdFrom(page.headers['set-cookie'])).not.toBe(firstSid);
    expect(rememberValue(agent)).not.toBe(firstToken);

    await afterResponseSettled();
    expect(
      await SecurityEvent.countDocuments({ userId: user._id, kind: 'sign-in', 'details.method': 'remember-me' }),
    ).toBe(1);
  });

  it('a restored session is not recently authenticated: sign out everywhere asks for the password', async () => {
    const email = uniqueEmail('remember-reauth');
    const user = await createUser(email);
    const agent = request.agent(app());
    await logInRemembered(agent, email);
    await endSessions(user.id as string);
    const _csrf = await csrfToken(agent, '/account');
    const response = await agent.post('/account/sessions/revoke-others').type('form').send({ _csrf });
    expect([response.status, response.headers.location]).toEqual([303, '/account/confirm']);
  });

  it('a replaced token used again revokes every token of the account, is logged and mailed', async () => {
    const email = uniqueEmail('stolen');
    const user = await createUser(email);
    const owner = request.agent(app());
    await logInRemembered(owner, email);
    const stolen = rememberValue(owner)!;

    // The owner's session ends; their browser is restored (the token rotates).
    await endSessions(user.id as string);
    expect((await owner.get('/account')).status).toBe(200);
    // Later (outside the grace period for the owner's own racing tabs) the copy is used.
    await RememberToken.collection.updateMany(
      { userId: user._id, replacedAt: { $ne: null } },
      { $set: { replacedAt: new Date(Date.now() - 60_000) } },
    );
    const thief = await request(app()).get('/account').set('Cookie', `${REMEMBER}=${stolen}`);
    expect([thief.status, thief.headers.location]).toEqual([302, '/login']);

    expect(await RememberToken.countDocuments({ userId: user._id })).toBe(0);
    await afterResponseSettled();
    expect(await SecurityEvent.countDocuments({ userId: user._id, kind: 'remember-me-reuse' })).toBe(1);
    const mail = await waitForMailWithSubject(email);
    expect(mail.subject).toBe('A stolen sign-in token of your Fernhill Goods account was used');
    // The owner's own (rotated) token is revoked too: once the session ends, they log in again.
    await endSessions(user.id as string);
    expect((await owner.get('/account')).status).toBe(302);
  });

  it('two tabs racing with one token: one is restored, nothing is revoked', async () => {
    const email = uniqueEmail('tabs');
    const user = await createUser(email);
    const agent = request.agent(app());
    await logInRemembered(agent, email);
    const token = rememberValue(agent)!;
    await endSessions(user.id as string);
    const answers = await Promise.all(
      Array.from({ length: 4 }, () => request(app()).get('/account').set('Cookie', `${REMEMBER}=${token}`)),
    );
    expect(answers.map((answer) => answer.status).sort()).toEqual([200, 302, 302, 302]);
    expect(await RememberToken.countDocuments({ userId: user._id, replacedAt: null })).toBe(1);
  });

  it('stops working after a password change elsewhere (a new credential epoch), and at logout', async () => {
    const email = uniqueEmail('remember-epoch');
    const user = await createUser(email);
    const agent = request.agent(app());
    await logInRemembered(agent, email);
    await user.updateOne({ $inc: { credentialEpoch: 1 } });
    await endSessions(user.id as string);
    expect((await agent.get('/account')).status).toBe(302);

    const other = request.agent(app());
    await logInRemembered(other, email);
    const _csrf = await csrfToken(other, '/account');
    await other.post('/logout').type('form').send({ _csrf }).expect(302);
    expect(await RememberToken.countDocuments({ userId: user._id })).toBe(0);
  });
});
