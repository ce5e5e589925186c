/** A logout is final (docs/sessions.md): no write of a request in flight brings a session back. */
import request from 'supertest';
import type { MongoSessionStore } from '@fernhill/session-store';
import { PASSWORD, csrfToken, loggedInAgent, sessionCookie, uniqueEmail, type Agent } from '../helpers/http';
import { storedSessionId, useAppOn, useTestDatabase } from '../helpers/testApp';
import { appSessions, sidOf } from './support';

describe('a logout racing a request that modifies the session', () => {
  const testApp = useAppOn(useTestDatabase());

  /** Holds the next session save until released, and says when it started. */
  function holdNextSave(store: MongoSessionStore) {
    let release = () => {};
    const released = new Promise<void>((resolve) => (release = resolve));
    let started = () => {};
    const saveStarted = new Promise<void>((resolve) => (started = resolve));
    const realSet = store.set.bind(store);
    const spy = jest.spyOn(store, 'set').mockImplementation((sid, data, callback) => {
      started();
      void released.then(() => realSet(sid, data, callback));
    });
    return { saveStarted, release, restore: () => spy.mockRestore() };
  }

  /**
   * Signing up another account queues a flash message in this session; the next page consumes it,
   * which modifies the session and so saves it at the end of that request. Resolves to the token used.
   */
  async function queueMessage(agent: Agent): Promise<string> {
    const _csrf = await csrfToken(agent, '/account');
    await agent
      .post('/signup')
      .type('form')
      .send({ _csrf, email: uniqueEmail(), password: PASSWORD, confirmPassword: PASSWORD })
      .expect(302);
    return _csrf;
  }

  it('stays logged out after a logout in another tab', async () => {
    const { app, store } = testApp();
    const { agent } = await loggedInAgent(app);
    const _csrf = await queueMessage(agent);
    const cookie = sessionCookie(agent);
    const sid = sidOf(agent);

    const held = holdNextSave(store);
    try {
      const slow = agent.get('/account').then((response) => response);
      await held.saveStarted;
      const logout = await request(app)
        .post('/logout')
        .set('Cookie', [cookie, sessionCookie(agent, 'shop.sid.csrf')])
        .type('form')
        .send({ _csrf });
      expect(logout.status).toBe(302);
      expect(await appSessions().countDocuments({ _id: storedSessionId(sid) })).toBe(0);
      held.release();
      expect((await slow).status).toBe(200);
    } finally {
      held.restore();
    }

    expect(await appSessions().countDocuments({ _id: storedSessionId(sid) })).toBe(0);
    const replayed = await request(app).get('/account').set('Cookie', cookie);
    expect(replayed.status).toBe(302);
    expect(replayed.headers.location).toBe('/login');
  });

  it('stays signed out after a sign-out everywhere', async () => {
    const { app, store } = testApp();
    const { agent, user } = await loggedInAgent(app);
    await queueMessage(agent);
    const cookie = sessionCookie(agent);
    const sid = sidOf(agent);

    const held = holdNextSave(store);
    try {
      const slow = agent.get('/account').then((response) => response);
      await held.saveStarted;
      expect(await store.destroySessionsOfUser(user.id as string)).toBe(1);
      held.release();
      expect((await slow).status).toBe(200);
    } finally {
      held.restore();
    }

    expect(await appSessions().countDocuments({ _id: storedSessionId(sid) })).toBe(0);
    expect((await request(app).get('/account').set('Cookie', cookie)).status).toBe(302);
    expect((await agent.get('/account')).status).toBe(302);
  });
});
