import { randomBytes } from 'node:crypto';
import mongoose, { Types } from 'mongoose';
import request from 'supertest';
import { connectMongoose } from '../src/db';
import { RememberToken } from '../src/models/RememberToken';
import { SecurityEvent } from '../src/models/SecurityEvent';
import { User } from '../src/models/User';
import { endSessionsOfAccount } from '../src/services/adminUsers';
import { turnOnTwoFactor } from '../src/auth/twoFactor/factor';
import { codeAt, newTotpKey } from '../src/auth/twoFactor/totp';
import { secretBoxOf } from '../src/lib/secretBox';
import { CommandCounter, sum, type MonitoredClient } from '../support/commandCounter';
import {
  PASSWORD,
  browserSignedInTo,
  createUser,
  csrfToken,
  loggedInAdmin,
  isSignedOut,
  loggedInAgent,
  uniqueEmail,
  type Agent,
} from './helpers/http';
import { buildApp, storedUserKey, testConfig, uniqueDatabaseUri, type TestApp } from './helpers/testApp';

// The database's commands are counted (the list's query count), so this file connects itself.
const uri = uniqueDatabaseUri();
const counter = new CommandCounter();
let instance: TestApp | undefined;
const testApp = () => {
  if (!instance) throw new Error('the test app is built in beforeAll');
  return instance;
};
const app = () => testApp().app;
const sessions = () => mongoose.connection.collection('sessions');

beforeAll(async () => {
  await connectMongoose(uri, testConfig(), { monitorCommands: true });
  await Promise.all(Object.values(mongoose.models).map((model) => model.init()));
  counter.watch(mongoose.connection.getClient() as unknown as MonitoredClient);
  instance = await buildApp(uri);
});

afterAll(async () => {
  await instance?.close();
  await mongoose.connection.dropDatabase().catch(() => {});
  await mongoose.disconnect();
});

/** A word that only this test's accounts have in their email. */
const tag = () => `t${randomBytes(4).toString('hex')}`;

/** The list's rows as a reader sees them: email, role, live sessions, second factor. */
function rowsOf(html: string): Array<{ email: string; role: string; sessions: number; secondFactor: string }> {
  const rows = html.split('data-testid="admin-user"').slice(1);
  return rows.map((row) => {
    const cells = [...row.matchAll(/<td[^>]*>([\s\S]*?)<\/td>/g)].map((cell) => cell[1]!.replace(/<[^>]+>/g, ''));
    return {
      email: cells[0]!.trim(),
      role: cells[1]!.trim(),
      sessions: Number(cells[3]),
      secondFactor: cells[4]!.trim(),
    };
  });
}

const listed = async (agent: Agent, query = '') => rowsOf((await agent.get(`/admin/users${query}`).expect(200)).text);

const browserOf = (email: string, remember = false) => browserSignedInTo(app(), email, { remember });

async function endSessionsFrom(admin: Agent, userId: string, fields: Record<string, string> = {}) {
  const _csrf = await csrfToken(admin, '/admin/users');
  return admin
    .post(`/admin/users/${userId}/end-sessions`)
    .type('form')
    .send({ _csrf, ...fields });
}

describe('the list of accounts', () => {
  it('shows the most recent accounts first, with email, role and when they joined', async () => {
    const { agent } = await loggedInAdmin(app());
    const older = await createUser(uniqueEmail('older'));
    const newer = await createUser(uniqueEmail('newer'), PASSWORD, 4, 'admin');

    const page = await agent.get('/admin/users').expect(200);
    const rows = rowsOf(page.text);
    expect(rows[0]).toMatchObject({ email: newer.email, role: 'admin' });
    expect(rows[1]).toMatchObject({ email: older.email, role: 'customer' });
    expect(page.text).toContain(`datetime="${newer.createdAt.toISOString()}"`);
  });

  it('says which accounts have a second factor', async () => {
    const { agent } = await loggedInAdmin(app());
    const word = tag();
    const plain = await createUser(`plain-${word}@example.com`);
    const guarded = await createUser(`guarded-${word}@example.com`);
    const key = newTotpKey();
    await turnOnTwoFactor(guarded._id, key, codeAt(key, Date.now()), secretBoxOf(testApp().config));

    const rows = await listed(agent, `?q=${word}`);
    expect(rows.map((row) => [row.email, row.secondFactor])).toEqual([
      [guarded.email, 'On'],
      [plain.email, 'Off'],
    ]);
  });

  it('finds accounts whose email contains the search, in any case', async () => {
    const { agent } = await loggedInAdmin(app());
    const word = tag();
    const first = await createUser(`first-${word}@example.com`);
    const second = await createUser(`${word}-second@shop.example`);
    await createUser(uniqueEmail('other'));

    const rows = await listed(agent, `?q=${word.toUpperCase()}`);
    expect(rows.map((row) => row.email).sort()).toEqual([first.email, second.email].sort());
  });

  it('takes the search literally: regular-expression characters match only themselves', async () => {
    const { agent } = await loggedInAdmin(app());
    const word = tag();
    const literal = await createUser(`a+b.c-${word}@example.com`);
    // What "a+b.c" matches as a regular expression, and the literal text does not.
    await createUser(`aabxc-${word}@example.com`);

    const rows = await listed(agent, `?q=${encodeURIComponent(`a+b.c-${word}`)}`);
    expect(rows.map((row) => row.email)).toEqual([literal.email]);
    // An invalid expression, were it one, would fail the query: it is only text that no email has.
    expect(await listed(agent, `?q=${encodeURIComponent('(*[')}`)).toEqual([]);
    expect((await agent.get('/admin/users?q=.*').expect(200)).text).toContain('No account’s email contains “.*”.');
  });

  it('counts each account’s live sessions, leaving out idle and too old ones', async () => {
    const { agent } = await loggedInAdmin(app());
    const word = tag();
    const busy = await createUser(`busy-${word}@example.com`);
    const idle = await createUser(`idle-${word}@example.com`);
    for (let i = 0; i < 4; i += 1) await browserOf(busy.email);
    await browserOf(idle.email);
    const [first, second] = await sessions()
      .find({ user: storedUserKey(busy.id as string) })
      .toArray();
    // One idled out, one past the absolute lifetime (8 hours): neither is live, though still stored.
    await sessions().updateOne({ _id: first!._id }, { $set: { expires: new Date(Date.now() - 1000) } });
    await sessions().updateOne({ _id: second!._id }, { $set: { createdAt: new Date(Date.now() - 9 * 3_600_000) } });
    await sessions().updateMany(
      { user: storedUserKey(idle.id as string) },
      { $set: { expires: new Date(Date.now() - 1000) } },
    );

    const rows = await listed(agent, `?q=${word}`);
    expect(rows.find((row) => row.email === busy.email)?.sessions).toBe(2);
    expect(rows.find((row) => row.email === idle.email)?.sessions).toBe(0);
  });

  it('pages by 20, keeping the search in the page links', async () => {
    const { agent } = await loggedInAdmin(app());
    const word = tag();
    for (let i = 0; i < 21; i += 1) await createUser(`p${i}-${word}@example.com`);

    const first = await agent.get(`/admin/users?q=${word}`).expect(200);
    expect(rowsOf(first.text)).toHaveLength(20);
    expect(first.text).toContain(`href="/admin/users?q=${word}&amp;page=2"`);
    expect(await listed(agent, `?q=${word}&page=2`)).toHaveLength(1);
    const beyond = await agent.get(`/admin/users?q=${word}&page=9`);
    expect(beyond.headers.location).toBe(`/admin/users?q=${word}&page=2`);
  });

  it('sends the same commands to the database however many accounts the page shows', async () => {
    const { agent } = await loggedInAdmin(app());
    const few = tag();
    const many = tag();
    for (const word of [few, many]) {
      for (let i = 0; i < (word === few ? 1 : 20); i += 1) {
        const user = await createUser(`c${i}-${word}@example.com`);
        await browserOf(user.email);
      }
    }
    await listed(agent, `?q=${few}`);

    counter.take();
    expect((await listed(agent, `?q=${few}`)).map((row) => row.sessions)).toEqual([1]);
    const forOne = counter.take();
    expect((await listed(agent, `?q=${many}`)).map((row) => row.sessions)).toEqual(Array(20).fill(1));
    const forTwenty = counter.take();

    expect(sum(forTwenty, 'read')).toBe(sum(forOne, 'read'));
    // The session of the request, then one count for the whole page.
    expect(sum(forTwenty, 'read', 'sessions')).toBe(2);
    // The admin, the number of matches, the page.
    expect(sum(forTwenty, 'read', 'users')).toBe(3);
  });

  it('sends anonymous visitors to the login page and answers customers 403', async () => {
    const anonymous = await request(app()).get('/admin/users');
    expect([anonymous.status, anonymous.headers.location]).toEqual([302, '/login']);

    const customer = await loggedInAgent(app());
    const page = await customer.agent.get('/admin/users');
    expect(page.status).toBe(403);
    expect(page.text).toContain('for its staff only');
  });

  it('is linked from the products and orders pages', async () => {
    const { agent } = await loggedInAdmin(app());
    for (const path of ['/admin/products', '/admin/orders']) {
      expect((await agent.get(path).expect(200)).text).toContain('href="/admin/users"');
    }
  });
});

describe('ending an account’s sessions', () => {
  it('signs the account out everywhere, a remembered browser included, and says how many', async () => {
    const admin = await loggedInAdmin(app());
    const user = await createUser(uniqueEmail('ended'));
    const browsers = [await browserOf(user.email), await browserOf(user.email), await browserOf(user.email, true)];
    const back = `/admin/users?q=${encodeURIComponent(user.email)}`;

    const response = await endSessionsFrom(admin.agent, user.id as string, { back });
    expect([response.status, response.headers.location]).toEqual([302, back]);
    const list = await admin.agent.get(back).expect(200);
    expect(list.text).toContain(`Ended 3 sessions of ${user.email}: they are signed out everywhere.`);
    expect(rowsOf(list.text)[0]?.sessions).toBe(0);

    // The remembered browser's token is gone, not only outdated (checked before that browser's next
    // request, which would delete an outdated one itself).
    expect(await RememberToken.countDocuments({ userId: user._id })).toBe(0);
    for (const browser of browsers) expect(await isSignedOut(browser)).toBe(true);
    // The admin is still signed in.
    await admin.agent.get('/admin/users').expect(200);
  });

  it('ends logins still in flight too: a session stored after the delete is refused', async () => {
    const user = await createUser(uniqueEmail('in-flight'));
    const browser = await browserOf(user.email);
    // Stands in for a login that stores its session after the sessions were deleted.
    const ended = await endSessionsOfAccount(user._id, { destroySessionsOfUser: async () => 0 });

    expect(ended).toBe(0);
    expect(await isSignedOut(browser)).toBe(true);
  });

  it('records it in the account’s activity log, as done by the shop’s staff', async () => {
    const admin = await loggedInAdmin(app());
    const user = await createUser(uniqueEmail('logged'));
    await browserOf(user.email);
    expect((await endSessionsFrom(admin.agent, user.id as string)).status).toBe(302);

    const events = await SecurityEvent.find({ userId: user._id, kind: 'sessions-ended' }).lean();
    expect(events.map((event) => event.details)).toEqual([{ by: 'admin', count: 1 }]);
    const activity = await (await browserOf(user.email)).get('/account/activity').expect(200);
    expect(activity.text.replace(/<[^>]+>/g, '')).toMatch(/Sessions ended: 1 by the shop’s staff/);
  });

  it('lets an admin end their own sessions, this one included: they land on the login page', async () => {
    const admin = await loggedInAdmin(app());
    const otherBrowser = await browserOf(admin.email);

    const response = await endSessionsFrom(admin.agent, admin.user.id as string);
    expect([response.status, response.headers.location]).toEqual([302, '/login']);
    const login = await admin.agent.get('/login').expect(200);
    expect(login.text).toContain('You ended your 2 sessions, this one included. Log in again to go on.');
    expect(await isSignedOut(admin.agent)).toBe(true);
    expect(await isSignedOut(otherBrowser)).toBe(true);
  });

  it('answers 404 for a malformed or unknown account, never a 500', async () => {
    const { agent } = await loggedInAdmin(app());
    for (const id of ['not-an-id', new Types.ObjectId().toString(), '%24ne']) {
      expect((await endSessionsFrom(agent, id)).status).toBe(404);
    }
  });

  it('goes back only to the list, whatever `back` says', async () => {
    const { agent } = await loggedInAdmin(app());
    const user = await createUser(uniqueEmail('back'));
    for (const back of ['https://evil.example/', '//evil.example', '/account', '/admin/usersx']) {
      expect((await endSessionsFrom(agent, user.id as string, { back })).headers.location).toBe('/admin/users');
    }
  });

  it('needs a CSRF token, and refuses customers and anonymous visitors, ending nothing', async () => {
    const admin = await loggedInAdmin(app());
    const user = await createUser(uniqueEmail('kept'));
    const browser = await browserOf(user.email);
    const path = `/admin/users/${user.id as string}/end-sessions`;

    await admin.agent.post(path).type('form').send({}).expect(403);
    await admin.agent.post(path).type('form').send({ _csrf: 'not-a-token' }).expect(403);
    const customer = await loggedInAgent(app());
    const _csrf = await csrfToken(customer.agent, '/account');
    await customer.agent.post(path).type('form').send({ _csrf }).expect(403);
    const anonymous = request.agent(app());
    const anonymousToken = await csrfToken(anonymous, '/login');
    expect((await anonymous.post(path).type('form').send({ _csrf: anonymousToken })).headers.location).toBe('/login');

    expect(await isSignedOut(browser)).toBe(false);
    expect((await User.findById(user._id))?.credentialEpoch).toBe(0);
    expect(await SecurityEvent.countDocuments({ userId: user._id, kind: 'sessions-ended' })).toBe(0);
  });
});
