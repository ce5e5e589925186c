import request from 'supertest';
import { afterResponseSettled } from '../src/lib/afterResponse';
import { AccountToken } from '../src/models/AccountToken';
import { RememberToken } from '../src/models/RememberToken';
import { User } from '../src/models/User';
import { PASSWORD, csrfFrom, csrfToken, loggedInAgent, sessionCookie, type Agent } from './helpers/http';
import { buildApp, editStoredSession, useTestDatabase, type TestApp } from './helpers/testApp';

const database = useTestDatabase();
let shop: TestApp;
beforeAll(async () => {
  shop = await buildApp(database(), { REAUTH_WINDOW: '60' });
});
afterAll(() => shop.close());

/** Moves the agent's last password entry 61 s into the past (the window is 60 s), without waiting. */
async function outlastWindow(agent: Agent) {
  const sid = decodeURIComponent(sessionCookie(agent).split('=')[1]!).slice(2).split('.')[0]!;
  await editStoredSession(shop.store, sid, (data) => ({ ...data, reauthenticatedAt: Date.now() - 61_000 }));
}

async function post(agent: Agent, path: string, fields: Record<string, string> = {}) {
  const _csrf = await csrfToken(agent, '/account');
  return agent
    .post(path)
    .type('form')
    .send({ _csrf, ...fields });
}

async function twoDevices() {
  const first = await loggedInAgent(shop.app);
  const other = request.agent(shop.app);
  const _csrf = await csrfToken(other, '/login');
  await other.post('/login').type('form').send({ _csrf, email: first.email, password: PASSWORD }).expect(302);
  return { owner: first.agent, other };
}

describe('re-authentication', () => {
  it('lets a password entered within REAUTH_WINDOW sign out everywhere at once', async () => {
    const { owner, other } = await twoDevices();
    const response = await post(owner, '/account/sessions/revoke-others');
    expect([response.status, response.headers.location]).toEqual([302, '/account']);
    expect((await other.get('/account')).status).toBe(302);
  });

  it('asks for the password after the window, then offers the same action to resubmit', async () => {
    const { owner, other } = await twoDevices();
    await outlastWindow(owner);

    const asked = await post(owner, '/account/sessions/revoke-others');
    expect([asked.status, asked.headers.location]).toEqual([303, '/account/confirm']);
    expect((await other.get('/account')).status).toBe(200);

    const page = await owner.get('/account/confirm');
    expect(page.status).toBe(200);
    expect(page.text).toContain('name="password"');
    const _csrf = csrfFrom(page.text);

    const wrong = await owner
      .post('/account/confirm')
      .type('form')
      .send({ _csrf, password: `${PASSWORD}!` });
    expect(wrong.status).toBe(422);
    expect(wrong.text).toContain('That is not your password.');
    expect((await other.get('/account')).status).toBe(200);

    const confirmed = await owner.post('/account/confirm').type('form').send({ _csrf, password: PASSWORD });
    expect(confirmed.status).toBe(200);
    expect(confirmed.text).toContain('action="/account/sessions/revoke-others"');
    expect(confirmed.text).toContain('Sign out everywhere else');
    // Nothing happened yet: the user resubmits.
    expect((await other.get('/account')).status).toBe(200);

    const resubmitted = await owner
      .post('/account/sessions/revoke-others')
      .type('form')
      .send({ _csrf: csrfFrom(confirmed.text) });
    expect([resubmitted.status, resubmitted.headers.location]).toEqual([302, '/account']);
    expect((await other.get('/account')).status).toBe(302);
    expect((await owner.get('/account')).status).toBe(200);
  });

  it('keeps no password and no token of the pending form', async () => {
    const { agent: owner } = await loggedInAgent(shop.app);
    await outlastWindow(owner);
    await post(owner, '/account/sessions/revoke-others', { password: 'secret', note: 'kept' });
    const _csrf = csrfFrom((await owner.get('/account/confirm')).text);
    const confirmed = await owner.post('/account/confirm').type('form').send({ _csrf, password: PASSWORD });
    expect(confirmed.text).toContain('name="note" value="kept"');
    expect(confirmed.text).not.toContain('secret');
  });

  it('returns to the account page when nothing was pending', async () => {
    const { agent } = await loggedInAgent(shop.app);
    const _csrf = csrfFrom((await agent.get('/account/confirm')).text);
    const confirmed = await agent.post('/account/confirm').type('form').send({ _csrf, password: PASSWORD });
    expect([confirmed.status, confirmed.headers.location]).toEqual([302, '/account']);
  });

  it('refuses a password that is not a string with 422, and sends anonymous visitors to log in', async () => {
    const { agent } = await loggedInAgent(shop.app);
    const _csrf = csrfFrom((await agent.get('/account/confirm')).text);
    const injected = await agent
      .post('/account/confirm')
      .set('Content-Type', 'application/json')
      .send({ _csrf, password: { $gt: '' } });
    expect(injected.status).toBe(422);
    const anonymous = await request(shop.app).get('/account/confirm');
    expect([anonymous.status, anonymous.headers.location]).toEqual([302, '/login']);
  });
});

describe('confirming the password', () => {
  it('gives the session a new id: the old cookie is signed out, the new one carries the login and the fresh password', async () => {
    const { agent, email } = await loggedInAgent(shop.app);
    await outlastWindow(agent);
    const before = sessionCookie(agent);
    const _csrf = csrfFrom((await agent.get('/account/confirm')).text);
    const confirmed = await agent.post('/account/confirm').type('form').send({ _csrf, password: PASSWORD });
    expect([confirmed.status, confirmed.headers.location]).toEqual([302, '/account']);

    const after = sessionCookie(agent);
    expect(after).not.toBe(before);
    // The old id is gone: a copy of it is an anonymous visitor now.
    const copy = await request(shop.app).get('/account').set('Cookie', before);
    expect([copy.status, copy.headers.location]).toEqual([302, '/login']);
    const page = await agent.get('/account');
    expect(page.status).toBe(200);
    expect(page.text).toContain(email);
    // Fresh: a form that matters goes through at once.
    const revoke = await post(agent, '/account/sessions/revoke-others');
    expect([revoke.status, revoke.headers.location]).toEqual([302, '/account']);
  });
});

describe('re-authentication for the other forms that matter', () => {
  /** Confirms the password on /account/confirm and returns the resubmit page. */
  async function confirmPassword(agent: Agent) {
    const page = await agent.get('/account/confirm');
    const confirmed = await agent
      .post('/account/confirm')
      .type('form')
      .send({ _csrf: csrfFrom(page.text), password: PASSWORD });
    expect(confirmed.status).toBe(200);
    return confirmed.text;
  }

  it('changing the email: asks first, then offers the form with the new address kept and the password to type again', async () => {
    const { agent, user } = await loggedInAgent(shop.app);
    await outlastWindow(agent);
    const newEmail = `moved-${user._id.toString()}@example.com`;
    const asked = await post(agent, '/account/email', { email: newEmail, password: PASSWORD });
    expect([asked.status, asked.headers.location]).toEqual([303, '/account/confirm']);
    expect(await AccountToken.countDocuments({ userId: user._id, purpose: 'email-change' })).toBe(0);

    const resubmit = await confirmPassword(agent);
    expect(resubmit).toContain('action="/account/email"');
    expect(resubmit).toContain(`name="email" value="${newEmail}"`);
    expect(resubmit).toMatch(
      /<label for="password">Your password<\/label>\s*<input id="password" name="password" type="password"/,
    );
    expect(resubmit).not.toContain(PASSWORD);
    const sent = await agent
      .post('/account/email')
      .type('form')
      .send({ _csrf: csrfFrom(resubmit), email: newEmail, password: PASSWORD });
    expect([sent.status, sent.headers.location]).toEqual([302, '/account']);
    await afterResponseSettled();
    expect(await AccountToken.countDocuments({ userId: user._id, purpose: 'email-change' })).toBe(1);
  });

  it('deleting the account: asks first, then offers the form with the password to type again', async () => {
    const { agent, user } = await loggedInAgent(shop.app);
    await outlastWindow(agent);
    const asked = await post(agent, '/account/delete', { password: PASSWORD });
    expect([asked.status, asked.headers.location]).toEqual([303, '/account/confirm']);
    expect(await User.exists({ _id: user._id })).not.toBeNull();

    const resubmit = await confirmPassword(agent);
    expect(resubmit).toContain('action="/account/delete"');
    expect(resubmit).toContain('Delete my account');
    expect(resubmit).toContain('name="password" type="password"');
    const deleted = await agent
      .post('/account/delete')
      .type('form')
      .send({ _csrf: csrfFrom(resubmit), password: PASSWORD });
    expect([deleted.status, deleted.headers.location]).toEqual([302, '/']);
    expect(await User.exists({ _id: user._id })).toBeNull();
  });

  it('changing the password: asks first, then offers the three password fields again', async () => {
    const { agent } = await loggedInAgent(shop.app);
    await outlastWindow(agent);
    const fresh = 'another long password for the test';
    const fields = { currentPassword: PASSWORD, newPassword: fresh, confirmNewPassword: fresh };
    const asked = await post(agent, '/account/password', fields);
    expect([asked.status, asked.headers.location]).toEqual([303, '/account/confirm']);
    const resubmit = await confirmPassword(agent);
    for (const name of Object.keys(fields)) expect(resubmit).toContain(`name="${name}" type="password"`);
    const changed = await agent
      .post('/account/password')
      .type('form')
      .send({ _csrf: csrfFrom(resubmit), ...fields });
    expect([changed.status, changed.headers.location]).toEqual([302, '/account']);
  });

  it('forgetting a remembered browser: asks first, then resubmits the same device', async () => {
    const { agent, user, email } = await loggedInAgent(shop.app);
    const phone = request.agent(shop.app);
    const _csrf = await csrfToken(phone, '/login');
    await phone.post('/login').type('form').send({ _csrf, email, password: PASSWORD, remember: 'on' }).expect(302);
    const handle = /name="device" value="([\w-]+)"/.exec((await agent.get('/account')).text)?.[1];
    expect(handle).toBeDefined();
    await outlastWindow(agent);

    const asked = await post(agent, '/account/devices/remove', { device: handle! });
    expect([asked.status, asked.headers.location]).toEqual([303, '/account/confirm']);
    expect(await RememberToken.countDocuments({ userId: user._id })).toBe(1);

    const resubmit = await confirmPassword(agent);
    expect(resubmit).toContain(`name="device" value="${handle}"`);
    expect(resubmit).toContain('Forget that browser');
    const forgotten = await agent
      .post('/account/devices/remove')
      .type('form')
      .send({ _csrf: csrfFrom(resubmit), device: handle });
    expect([forgotten.status, forgotten.headers.location]).toEqual([302, '/account']);
    expect(await RememberToken.countDocuments({ userId: user._id })).toBe(0);
  });
});
