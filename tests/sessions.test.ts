import http from 'node:http';
import type { AddressInfo } from 'node:net';
import mongoose from 'mongoose';
import request from 'supertest';
import { User } from '../src/models/User';
import {
  PASSWORD,
  createUser,
  csrfFrom,
  loggedInAgent,
  sessionCookie,
  sessionIdFrom,
  uniqueEmail,
} from './helpers/http';
import { capturingLogger } from './helpers/logs';
import { buildApp, storedSession, storedUserKey, useTestApp, type TestApp } from './helpers/testApp';

const testApp = useTestApp();
const sessions = () => mongoose.connection.collection<{ _id: string; session: Record<string, unknown> }>('sessions');

describe('the session stored in MongoDB', () => {
  it('holds isLoggedIn, the user id and email, and never the password hash', async () => {
    const email = uniqueEmail();
    const { user, agent } = await loggedInAgent(testApp().app, email);
    const page = await agent.get('/account');
    expect(page.status).toBe(200);

    // What the store reads back; the document itself holds it sealed (sessionsAtRest.test.ts).
    const stored = await storedSession(testApp().store, sessionIdFrom(sessionCookie(agent))!);
    expect(stored).toMatchObject({ isLoggedIn: true, user: { _id: user.id, email } });
    const hash = (await User.findById(user.id).select('+password'))?.password ?? '';
    expect(hash).not.toBe('');
    expect(JSON.stringify(stored)).not.toContain(hash);
    expect(JSON.stringify(stored)).not.toMatch(/"password"\s*:/);
  });

  it('is written before the login redirect is sent, even when the store is slow', async () => {
    const { app, store } = testApp();
    const email = uniqueEmail();
    await createUser(email);
    const realSet = store.set.bind(store);
    const slowSet = jest
      .spyOn(store, 'set')
      .mockImplementation((sid, data, callback) => void setTimeout(() => realSet(sid, data, callback), 300));
    const server = http.createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      for (let attempt = 0; attempt < 3; attempt += 1) {
        const login = await request(`http://127.0.0.1:${port}`).get('/login');
        const cookie = (login.headers['set-cookie'] as unknown as string[])[0]!.split(';')[0]!;
        const body = new URLSearchParams({ _csrf: csrfFrom(login.text), email, password: PASSWORD }).toString();

        // Ask the store the moment the redirect's headers arrive, as the next request would.
        const storedWhenRedirected = await new Promise<unknown>((resolve, reject) => {
          const req = http.request(
            {
              port,
              host: '127.0.0.1',
              method: 'POST',
              path: '/login',
              headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
            },
            (res) => {
              expect(res.statusCode).toBe(302);
              const sid = sessionIdFrom(res.headers['set-cookie']);
              storedSession(store, sid!).then((data) => {
                res.resume();
                resolve(data);
              }, reject);
            },
          );
          req.on('error', reject);
          req.end(body);
        });
        expect(storedWhenRedirected).toMatchObject({ isLoggedIn: true, user: { email } });
      }
    } finally {
      slowSet.mockRestore();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('shows what the database holds now: the user is re-fetched on every request', async () => {
    const { agent, user } = await loggedInAgent(testApp().app);
    const renamed = uniqueEmail('renamed');
    await User.updateOne({ _id: user._id }, { email: renamed });

    const home = await agent.get('/');
    expect(home.text).toContain(renamed);
  });

  it('ends the session of a user who no longer exists', async () => {
    const { agent, user } = await loggedInAgent(testApp().app);
    await User.deleteOne({ _id: user._id });

    const account = await agent.get('/account');
    expect(account.headers.location).toBe('/login');
    expect(await sessions().countDocuments({ user: storedUserKey(user.id as string) })).toBe(0);
  });
});

describe('several app instances on one database', () => {
  const instances: TestApp[] = [];
  const anotherInstance = async (env: Record<string, string> = {}) => {
    const instance = await buildApp(testApp().uri, env);
    instances.push(instance);
    return instance;
  };
  afterEach(async () => {
    await Promise.all(instances.splice(0).map((instance) => instance.close()));
  });

  it('keeps a login after one instance is closed and another is built', async () => {
    const first = await anotherInstance();
    const { agent } = await loggedInAgent(first.app);
    const cookie = sessionCookie(agent);
    await first.close();

    const second = await anotherInstance();
    const account = await request(second.app).get('/account').set('Cookie', cookie);
    expect(account.status).toBe(200);
  });

  it('rotates secrets: the first signs, every listed one verifies', async () => {
    const oldSecret = 'o'.repeat(40);
    const newSecret = 'n'.repeat(40);
    const before = await anotherInstance({ SESSION_SECRET: oldSecret });
    const rotated = await anotherInstance({ SESSION_SECRET: `${newSecret},${oldSecret}` });
    const newOnly = await anotherInstance({ SESSION_SECRET: newSecret });
    const signedWithOld = sessionCookie((await loggedInAgent(before.app)).agent);
    const signedByRotated = sessionCookie((await loggedInAgent(rotated.app)).agent);

    expect((await request(rotated.app).get('/account').set('Cookie', signedWithOld)).status).toBe(200);
    expect((await request(newOnly.app).get('/account').set('Cookie', signedByRotated)).status).toBe(200);
    expect((await request(newOnly.app).get('/account').set('Cookie', signedWithOld)).status).toBe(302);
  });
});

describe('session store failures', () => {
  it('answers a failed save with an error page and logs it without the session id or contents', async () => {
    const { logger, text } = capturingLogger();
    const email = uniqueEmail();
    await createUser(email);
    const instance = await buildApp(testApp().uri, {}, logger);
    try {
      const agent = request.agent(instance.app);
      const loginPage = await agent.get('/login');
      // A new session is inserted, a loaded one updated: both fail.
      for (const write of ['insertOne', 'updateOne'] as const) {
        jest.spyOn(instance.store.collection, write).mockRejectedValue(new Error('connection reset by peer'));
      }
      const savedIds: string[] = [];
      const realSet = instance.store.set.bind(instance.store);
      jest.spyOn(instance.store, 'set').mockImplementation((sid, data, callback) => {
        savedIds.push(sid);
        realSet(sid, data, callback);
      });

      const response = await agent
        .post('/login')
        .type('form')
        .send({ _csrf: csrfFrom(loginPage.text), email, password: PASSWORD });

      expect(response.status).toBe(503);
      expect(response.text).toContain('temporarily unavailable');
      expect(response.text).not.toContain('connection reset');
      const logs = text();
      expect(logs).toContain('could not save session');
      expect(logs).toContain('connection reset by peer');
      expect(savedIds.length).toBeGreaterThan(0);
      for (const sid of savedIds) expect(logs).not.toContain(sid);
      expect(logs).not.toContain('Session {');
      expect(logs).not.toContain(email);
    } finally {
      await instance.close();
    }
  });
});
