import request from 'supertest';
import { afterResponseSettled } from '../src/lib/afterResponse';
import { SecurityEvent } from '../src/models/SecurityEvent';
import { User } from '../src/models/User';
import { expireLeftovers } from '../src/services/housekeeping';
import { sweepExpiredDocuments } from '../src/db';
import { PASSWORD, createUser, csrfToken, logIn, loggedInAgent, uniqueEmail, type Agent } from './helpers/http';
import { useTestApp } from './helpers/testApp';

const testApp = useTestApp();
const app = () => testApp().app;
beforeAll(() => expireLeftovers(60));

const FIREFOX = 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0';

async function activity(agent: Agent, query = '') {
  await afterResponseSettled();
  return agent.get(`/account/activity${query}`);
}

/** The rows' "What" cells, in page order. */
const whats = (html: string) =>
  [
    ...html.matchAll(/<tr>\s*<td>(?:<time[^>]*>)?[^<]*(?:<\/time>)?<\/td>\s*<td>([^<]*(?:<[^/][^>]*>[^<]*)*)<\/td>/g),
  ].map((m) => m[1]!.trim());

describe('the activity log', () => {
  it('lists sign-ins, failed sign-ins and new browsers, newest first, with browser and network', async () => {
    const email = uniqueEmail('activity');
    await createUser(email);
    const first = request.agent(app());
    await logIn(first, email).then((r) => expect(r.status).toBe(302));
    await logIn(request.agent(app()), email, `${PASSWORD}!`).then((r) => expect(r.status).toBe(422));
    const second = request.agent(app());
    const _csrf = await csrfToken(second, '/login');
    await second.post('/login').set('User-Agent', FIREFOX).type('form').send({ _csrf, email, password: PASSWORD });

    const page = await activity(second);
    expect(page.status).toBe(200);
    expect(whats(page.text)).toEqual([
      expect.stringMatching(/^Signed in from a new browser|^Signed in \(with the password\)/),
      expect.stringMatching(/^Signed in from a new browser|^Signed in \(with the password\)/),
      'Failed sign-in (wrong password)',
      'Signed in (with the password)',
    ]);
    expect(page.text).toContain('Firefox 128 on Linux');
    expect(page.text).toContain('127.0.0.0/24');
  });

  it('records password changes and who ended sessions', async () => {
    const { agent, email } = await loggedInAgent(app());
    await logIn(request.agent(app()), email);
    const _csrf = await csrfToken(agent, '/account');
    const newPassword = `${PASSWORD} renewed`;
    await agent
      .post('/account/password')
      .type('form')
      .send({ _csrf, currentPassword: PASSWORD, newPassword, confirmNewPassword: newPassword })
      .expect(302);
    const page = await activity(agent);
    const rows = whats(page.text);
    expect(rows).toContain('Password changed');
    expect(rows).toContain('Sessions ended: 1 by a password change');
  });

  it('shows only the account’s own events, 20 a page, and 404 past the last page or for a bad page', async () => {
    const { agent, user } = await loggedInAgent(app());
    const other = await createUser(uniqueEmail('other'));
    const now = Date.now();
    await SecurityEvent.insertMany([
      ...Array.from({ length: 25 }, (_, i) => ({
        userId: user._id,
        kind: 'sign-in-failed' as const,
        at: new Date(now - (i + 1) * 60_000),
        details: { browser: `Browser ${i}` },
      })),
      { userId: other._id, kind: 'sign-in-failed' as const, at: new Date(), details: { browser: 'Not yours' } },
      // Older than 90 days: no longer shown (and due for expiry).
      {
        userId: user._id,
        kind: 'sign-in-failed' as const,
        at: new Date(now - 91 * 86_400_000),
        details: { browser: 'Ancient' },
      },
    ]);
    const one = await activity(agent);
    expect(whats(one.text)).toHaveLength(20);
    expect(one.text).not.toContain('Not yours');
    expect(one.text).toContain('href="/account/activity?page=2"');
    const two = await activity(agent, '?page=2');
    // 25 made here and the login's own.
    expect(whats(two.text)).toHaveLength(6);
    expect(two.text).not.toContain('Ancient');
    for (const bad of ['?page=3', '?page=0', '?page=abc', '?page=1&page=2']) {
      expect((await activity(agent, bad)).status).toBe(404);
    }
    // Query strings are parsed flat: an operator is just an unknown key, and page 1 is shown.
    expect(whats((await activity(agent, '?page[$gt]=1')).text)).toHaveLength(20);
  });

  it('expires events through the database layer after 90 days', async () => {
    const user = await createUser(uniqueEmail('expiry'));
    await SecurityEvent.create({
      userId: user._id,
      kind: 'sign-in',
      at: new Date(Date.now() - 91 * 86_400_000),
      details: {},
    });
    await SecurityEvent.create({ userId: user._id, kind: 'sign-in', at: new Date(), details: {} });
    // Where the server deletes by TTL this is its job; elsewhere the shared sweeper's.
    await sweepExpiredDocuments();
    const left = await SecurityEvent.find({ userId: user._id });
    expect(left.map((event) => event.at.getTime() > Date.now() - 86_400_000)).toEqual([true]);
  });

  it('never fails the action it records when the event cannot be written', async () => {
    const email = uniqueEmail('eventless');
    await createUser(email);
    const spy = jest.spyOn(SecurityEvent, 'create').mockRejectedValue(new Error('disk full') as never);
    try {
      const response = await logIn(request.agent(app()), email);
      expect(response.status).toBe(302);
      await afterResponseSettled();
      expect(spy).toHaveBeenCalled();
    } finally {
      spy.mockRestore();
    }
    expect(await User.countDocuments({ email })).toBe(1);
  });

  it('sends anonymous visitors to log in', async () => {
    const response = await request(app()).get('/account/activity');
    expect([response.status, response.headers.location]).toEqual([302, '/login']);
  });
});
