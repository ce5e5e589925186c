/**
 * Idle timeout (with a lazy touch) and absolute lifetime, through the app and at the store, on a
 * controlled clock: the timeouts are seconds long, the tests take none of them.
 */
import request from 'supertest';
import { ConfigError } from '../../src/config/env';
import { loggedInAgent } from '../helpers/http';
import { storedSessionId, testConfig, useAppOn, useTestDatabase } from '../helpers/testApp';
import { useControlledClock } from '../helpers/clock';
import { appSessions, sidOf } from './support';
import { storedSession } from '../helpers/testApp';
import { sessionCookie } from '../helpers/http';

const database = useTestDatabase();
const clock = useControlledClock();
const sessionDoc = (sid: string) => appSessions().findOne({ _id: storedSessionId(sid) });

describe('configuration of the session lifetimes', () => {
  it('defaults to a 60 s touch interval and an 8 hour absolute lifetime', () => {
    const config = testConfig();
    expect(config.SESSION_TOUCH_INTERVAL).toBe(60);
    expect(config.SESSION_ABSOLUTE_TTL).toBe(28_800);
  });

  it.each([
    ['SESSION_TOUCH_INTERVAL', '0'],
    ['SESSION_TOUCH_INTERVAL', '1.5'],
    ['SESSION_ABSOLUTE_TTL', '-1'],
    ['SESSION_ABSOLUTE_TTL', 'eight hours'],
  ])('refuses %s=%s, naming the variable', (name, value) => {
    expect(() => testConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => testConfig({ [name]: value })).toThrow(name);
  });

  it('refuses a touch interval that is not shorter than the idle timeout', () => {
    expect(() => testConfig({ SESSION_MAX_AGE: '60', SESSION_TOUCH_INTERVAL: '60' })).toThrow(
      'SESSION_TOUCH_INTERVAL: must be less than SESSION_MAX_AGE',
    );
  });
});

describe('idle timeout with lazy touch', () => {
  const testApp = useAppOn(database, { SESSION_MAX_AGE: '60', SESSION_TOUCH_INTERVAL: '2' });

  it("moves an active session's expiry forward, writing at most once per touch interval", async () => {
    const { app, store } = testApp();
    const { agent } = await loggedInAgent(app);
    await agent.get('/account').expect(200);
    const sid = sidOf(agent);
    const written = (await sessionDoc(sid))!;
    const writes = jest.spyOn(store.collection, 'updateOne');
    try {
      for (let i = 0; i < 3; i += 1) {
        await agent.get('/account').expect(200);
        clock.advance(600);
      }
      expect(writes).not.toHaveBeenCalled();
      expect((await sessionDoc(sid))?.expires).toEqual(written.expires);

      clock.advanceTo(written.lastModified.getTime() + 2100);
      for (let i = 0; i < 3; i += 1) await agent.get('/account').expect(200);
      expect(writes).toHaveBeenCalledTimes(1);
    } finally {
      writes.mockRestore();
    }
    const touched = (await sessionDoc(sid))!;
    expect(touched.expires.getTime()).toBe(written.expires.getTime() + 2100);
    expect(touched.lastModified.getTime()).toBe(written.lastModified.getTime() + 2100);
    expect(touched.createdAt).toEqual(written.createdAt);
    // A login's cookie ends with the browser session: the idle deadline is the store's alone.
    expect(touched.session.cookie.expires ?? null).toBeNull();
    const { cookie: _before, ...dataBefore } = written.session;
    const { cookie: _after, ...dataAfter } = touched.session;
    expect(dataAfter).toEqual(dataBefore);
  });
});

describe('an idle session', () => {
  const testApp = useAppOn(database, { SESSION_MAX_AGE: '3', SESSION_TOUCH_INTERVAL: '1' });

  it('lasts while the user is active and ends once idle for longer than SESSION_MAX_AGE', async () => {
    const { app, store } = testApp();
    const { agent } = await loggedInAgent(app);
    const cookie = sessionCookie(agent);
    const sid = sidOf(agent);
    const loggedInAt = clock.now();
    // Active for longer than the idle timeout: the store's touch and the rolling cookie keep it.
    while (clock.now() - loggedInAt < 4000) {
      await agent.get('/account').expect(200);
      clock.advance(1500);
    }

    clock.advance(3300);
    // The old cookie replayed, so that it is the server that says no (not the client's jar).
    const idle = await request(app).get('/account').set('Cookie', cookie);
    expect(idle.status).toBe(302);
    expect(idle.headers.location).toBe('/login');
    expect(await storedSession(store, sid)).toBeNull();
  });
});

describe('the absolute lifetime', () => {
  const testApp = useAppOn(database, { SESSION_ABSOLUTE_TTL: '3', SESSION_MAX_AGE: '3', SESSION_TOUCH_INTERVAL: '1' });

  it('ends a session however active the user is, and writes never move its creation time', async () => {
    const { app, store } = testApp();
    const { agent } = await loggedInAgent(app);
    const sid = sidOf(agent);
    const { createdAt } = (await sessionDoc(sid))!;
    const deadline = createdAt.getTime() + 3000;

    while (clock.now() < deadline - 600) {
      await agent.get('/account').expect(200);
      clock.advance(1000);
    }
    const beforeDeadline = (await sessionDoc(sid))!;
    expect(beforeDeadline.createdAt).toEqual(createdAt);
    expect(beforeDeadline.lastModified.getTime()).toBeGreaterThan(createdAt.getTime() + 1000);
    // The idle deadline (3 s after the last write) is capped by the absolute one, so TTL indexes and sweeps see it.
    expect(beforeDeadline.expires.getTime()).toBe(deadline);

    clock.advanceTo(deadline + 200);
    const after = await agent.get('/account');
    expect(after.status).toBe(302);
    expect(after.headers.location).toBe('/login');
    expect(await storedSession(store, sid)).toBeNull();
  });
});
