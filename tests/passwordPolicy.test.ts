import request from 'supertest';
import { breachedPasswordList } from '../src/lib/breachedPasswords';
import { User } from '../src/models/User';
import { PASSWORD, createUser, csrfToken, logIn, loggedInAgent, uniqueEmail, type Agent } from './helpers/http';
import { resetPathIn, waitForMail } from './helpers/outbox';
import { useTestApp } from './helpers/testApp';

const testApp = useTestApp();
const app = () => testApp().app;
const COMMON = ['password12345678', '123456789012345', 'passwordpassword', 'qwertyuiopasdfgh', 'aaaaaaaaaaaaaaa'];

async function post(agent: Agent, path: string, fields: Record<string, string>, from: string) {
  const _csrf = await csrfToken(agent, from);
  return agent
    .post(path)
    .type('form')
    .send({ _csrf, ...fields });
}

const signUp = (email: string, password: string) =>
  post(request.agent(app()), '/signup', { email, password, confirmPassword: password }, '/signup');

describe('common passwords', () => {
  it.each(COMMON)('refuses %s at signup with a clear message', async (password) => {
    const email = uniqueEmail('policy');
    const response = await signUp(email, password);

    expect(response.status).toBe(422);
    expect(response.text).toContain('This password is too common or too easy to guess.');
    expect(response.text).not.toContain(password);
    expect(await User.countDocuments({ email })).toBe(0);
  });

  it('refuses a password made of the account’s own email', async () => {
    const email = `margaret.hamilton.${Date.now()}@example.com`;
    const response = await signUp(email, 'margarethamilton');
    expect(response.status).toBe(422);
    expect(response.text).toContain('too common or too easy to guess');
  });

  it.each(['fernhillgoods123', 'FernhillGoods2026'])('refuses %s, made of the shop’s own name', async (password) => {
    const response = await signUp(uniqueEmail('policy'), password);
    expect(response.status).toBe(422);
    expect(response.text).toContain('too common or too easy to guess');
  });

  it('refuses one when the password is changed on the account page, and keeps the old one', async () => {
    const { agent, email } = await loggedInAgent(app(), uniqueEmail('policy'));
    const response = await post(
      agent,
      '/account/password',
      { currentPassword: PASSWORD, newPassword: 'qwertyuiopasdfgh', confirmNewPassword: 'qwertyuiopasdfgh' },
      '/account',
    );
    expect(response.status).toBe(422);
    expect(response.text).toContain('too common or too easy to guess');
    expect((await logIn(request.agent(app()), email, PASSWORD)).status).toBe(302);
  });

  it('refuses one through a reset link, which stays usable for a better one', async () => {
    const email = uniqueEmail('policy');
    await createUser(email);
    await post(request.agent(app()), '/reset', { email }, '/reset');
    const link = resetPathIn(await waitForMail(email));
    const token = link.split('/').pop()!;
    const weak = await post(
      request.agent(app()),
      '/new-password',
      { passwordToken: token, password: 'password12345678', confirmPassword: 'password12345678' },
      link,
    );
    expect(weak.status).toBe(422);
    expect(weak.text).toContain('too common or too easy to guess');

    const good = 'lantern orchard quietly 47';
    const strong = await post(
      request.agent(app()),
      '/new-password',
      { passwordToken: token, password: good, confirmPassword: good },
      link,
    );
    expect(strong.status).toBe(302);
    expect((await logIn(request.agent(app()), email, good)).status).toBe(302);
  });

  // Leaked passwords that look random enough to a strength estimator: only the list catches them.
  it.each(['zQjphsyf6ctifgu', 'Hd764nW5d7E1vb1', 'ZQJPHSYF6CTIFGU'])(
    'refuses %s, from the list of passwords leaked elsewhere, whatever its capitals',
    async (password) => {
      const response = await signUp(uniqueEmail('policy'), password);
      expect(response.status).toBe(422);
      expect(response.text).toContain('on a list of passwords leaked from other sites');
    },
  );

  it('checks against at least the 100,000 most common passwords, most common first', () => {
    const list = breachedPasswordList();
    expect(list.length).toBeGreaterThanOrEqual(100_000);
    expect(list.slice(0, 3)).toEqual(['123456', 'password', '12345678']);
  });
});
