/**
 * Sessions at rest (issue #14): the sessions collection never holds the id a cookie carries, and
 * an account keeps at most MAX_SESSIONS_PER_USER live sessions.
 */
import { createHmac } from 'node:crypto';
import mongoose from 'mongoose';
import request from 'supertest';
import { afterResponseSettled } from '../src/lib/afterResponse';
import { SecurityEvent } from '../src/models/SecurityEvent';
import {
  PASSWORD,
  createUser,
  csrfToken,
  loggedInAgent,
  sessionCookie,
  sessionIdFrom,
  type Agent,
} from './helpers/http';
import { capturingLogger } from './helpers/logs';
import { TEST_SECRET, buildApp, storedSessionId, storedUserKey, useAppOn, useTestDatabase } from './helpers/testApp';

const database = useTestDatabase();
const MAX = 3;
const testApp = useAppOn(database, { MAX_SESSIONS_PER_USER: String(MAX) });
const sessions = () => mongoose.connection.collection<{ _id: string }>('sessions');

/** A session cookie for `value`, signed as express-session signs it (HMAC-SHA-256 with the cookie secret). */
function signedCookie(value: string, secret = TEST_SECRET): string {
  const signature = createHmac('sha256', secret).update(value).digest('base64').replace(/=+$/, '');
  return `shop.sid=${encodeURIComponent(`s:${value}.${signature}`)}`;
}

describe('a copy of the sessions collection', () => {
  it('holds no id that logs anyone in, even in a cookie signed with the real secret', async () => {
    const { app } = testApp();
    const { agent, user } = await loggedInAgent(app);
    const sid = sessionIdFrom(sessionCookie(agent))!;
    const docs = await sessions()
      .find({ user: storedUserKey(user.id as string) })
      .toArray();
    expect(docs.map((doc) => doc._id)).toEqual([storedSessionId(sid)]);
    // Nor anything of the session: its data is sealed (DATA_ENCRYPTION_KEY), its user an HMAC.
    for (const secret of [sid, user.id as string, user.email, 'isLoggedIn', 'signInMethods']) {
      expect(JSON.stringify(docs)).not.toContain(secret);
    }

    // The signing is right: the cookie's own id, signed here, is logged in.
    expect((await request(app).get('/account').set('Cookie', signedCookie(sid))).status).toBe(200);
    const stolen = await request(app).get('/account').set('Cookie', signedCookie(docs[0]!._id));
    expect(stolen.status).toBe(302);
    expect(stolen.headers.location).toBe('/login');
  });

  it('ends, at the next start, the sessions stored before ids were hashed: their users log in once more', async () => {
    const { app } = testApp();
    const { user } = await loggedInAgent(app);
    const legacySid = `legacy-${Date.now()}`;
    const now = new Date();
    await sessions().insertOne({
      _id: legacySid,
      session: {
        cookie: { path: '/', httpOnly: true },
        isLoggedIn: true,
        user: { _id: user.id as string, email: user.email },
      },
      expires: new Date(Date.now() + 60_000),
      createdAt: now,
      lastModified: now,
    } as never);
    // Not found already: the store looks for the HMAC of the cookie's id.
    expect((await request(app).get('/account').set('Cookie', signedCookie(legacySid))).status).toBe(302);

    const { logger, text } = capturingLogger();
    const restarted = await buildApp(database(), {}, logger);
    try {
      expect(await sessions().countDocuments({ _id: legacySid })).toBe(0);
      expect(await sessions().countDocuments({ user: storedUserKey(user.id as string) })).toBe(1);
      expect(text()).toContain(
        'ended 1 stored sessions keyed by another session id secret or stored before ids were hashed',
      );
    } finally {
      await restarted.close();
    }
  });
});

describe('MAX_SESSIONS_PER_USER', () => {
  async function logInAs(email: string): Promise<Agent> {
    const agent = request.agent(testApp().app);
    const _csrf = await csrfToken(agent, '/login');
    await agent.post('/login').type('form').send({ _csrf, email, password: PASSWORD }).expect(302);
    return agent;
  }
  const isLoggedIn = async (agent: Agent) => (await agent.get('/account')).status === 200;

  it('a login beyond it ends the least recently active sessions, and says so in the activity log', async () => {
    const user = await createUser();
    const devices: Agent[] = [];
    for (let i = 0; i < MAX; i += 1) devices.push(await logInAs(user.email));
    // The first device is used again, so the second is now the least recently active. (An unchanged
    // session is written once per touch interval; the flash message of a revoke changes it now.)
    const _csrf = await csrfToken(devices[0]!, '/account');
    await devices[0]!.post('/account/sessions/revoke').type('form').send({ _csrf, session: 'x' }).expect(302);

    const newest = await logInAs(user.email);
    await afterResponseSettled();

    expect(await Promise.all([...devices, newest].map(isLoggedIn))).toEqual([true, false, true, true]);
    const ended = await SecurityEvent.find({ userId: user._id, kind: 'sessions-ended' }).lean();
    expect(ended.map((event) => event.details)).toEqual([expect.objectContaining({ by: 'cap', count: 1 })]);
    const activity = await newest.get('/account/activity').expect(200);
    expect(activity.text).toContain('by a new sign-in');
  });

  it('counts a login restored by "remember me" like any other', async () => {
    const user = await createUser();
    const remembered = request.agent(testApp().app);
    const _csrf = await csrfToken(remembered, '/login');
    await remembered
      .post('/login')
      .type('form')
      .send({ _csrf, email: user.email, password: PASSWORD, remember: 'on' })
      .expect(302);
    const others: Agent[] = [];
    for (let i = 0; i < MAX; i += 1) others.push(await logInAs(user.email));
    // The cap ended the remembered browser's session; its token logs it back in, over the cap again.
    const restored = await remembered.get('/account');
    expect(restored.text).toContain('Signed in with “remember me”');
    await afterResponseSettled();

    expect(await Promise.all(others.map(isLoggedIn))).toEqual([false, true, true]);
    expect(await isLoggedIn(remembered)).toBe(true);
    const ended = await SecurityEvent.find({ userId: user._id, kind: 'sessions-ended' }).lean();
    expect(ended.map((event) => [event.details.by, event.details.count])).toEqual([
      ['cap', 1],
      ['cap', 1],
    ]);
  });

  it('holds when logins of one account arrive at the same moment: at most MAX live, the newest logins kept', async () => {
    const user = await createUser();
    const earlier = [await logInAs(user.email), await logInAs(user.email)];
    const parallel = await Promise.all(Array.from({ length: 5 }, () => logInAs(user.email)));
    await afterResponseSettled();

    const live = await sessions().countDocuments({ user: storedUserKey(user.id as string) });
    expect(live).toBeLessThanOrEqual(MAX);
    expect(await Promise.all(earlier.map(isLoggedIn))).toEqual([false, false]);
    expect((await Promise.all(parallel.map(isLoggedIn))).filter(Boolean)).toHaveLength(live);
    expect(live).toBe(MAX);
    // Each session ended once, counted once, however the logins overlapped.
    const ended = await SecurityEvent.find({ userId: user._id, kind: 'sessions-ended' }).lean();
    expect(ended.every((event) => event.details.by === 'cap')).toBe(true);
    expect(ended.reduce((sum, event) => sum + (event.details.count ?? 0), 0)).toBe(2 + 5 - MAX);
  });
});
