/**
 * Passkeys (issue #24), driven by a software authenticator (tests/helpers/softAuthenticator.ts)
 * through the same JSON requests public/js/passkeys.js makes: adding one behind re-authentication,
 * signing in with one (no password, no code), as the second step of a pending sign-in, for
 * re-authentication, and every refusal: a replayed answer, an answer to another browser's or
 * another account's challenge, an expired challenge, a removed passkey, a counter that went back,
 * a credential registered twice, a malformed answer. The clock is controlled (only Date).
 */
import request from 'supertest';
import { codeAt } from '../src/auth/twoFactor/totp';
import { turnOnTwoFactor } from '../src/auth/twoFactor/factor';
import { secretBoxOf } from '../src/lib/secretBox';
import { Passkey } from '../src/models/Passkey';
import { SecurityEvent } from '../src/models/SecurityEvent';
import { afterResponseSettled } from '../src/lib/afterResponse';
import * as outbox from '../support/outbox';
import {
  PASSWORD,
  createUser,
  csrfFrom,
  csrfToken,
  sessionCookie,
  sessionIdFrom,
  uniqueEmail,
  type Agent,
} from './helpers/http';
import { subjectsTo } from './helpers/outbox';
import { SoftAuthenticator } from './helpers/softAuthenticator';
import { TEST_OUTBOX, useAppOn, useTestDatabase } from './helpers/testApp';
import { useControlledClock } from './helpers/clock';

const database = useTestDatabase();
const shop = useAppOn(database);
const app = () => shop().app;
const clock = useControlledClock();
const origin = () => shop().config.APP_URL;

/** A JSON request as the page's script sends it: the CSRF token of the page it runs on, in the body. */
async function json(agent: Agent, path: string, body: Record<string, unknown>, page: string) {
  const _csrf = await csrfToken(agent, page);
  return agent
    .post(path)
    .set('Accept', 'application/json')
    .send({ _csrf, ...body });
}

async function signedInBrowser(email: string) {
  const agent = request.agent(app());
  const _csrf = await csrfToken(agent, '/login');
  await agent.post('/login').type('form').send({ _csrf, email, password: PASSWORD }).expect(302);
  return agent;
}

/** "Add a passkey" on /account, answered by `authenticator` (with `id`, to make a known credential again). */
async function addPasskey(agent: Agent, authenticator: SoftAuthenticator, id?: string) {
  const options = await json(agent, '/account/passkeys/options', {}, '/account');
  expect(options.status).toBe(200);
  return json(agent, '/account/passkeys', { response: authenticator.create(options.body, id) }, '/account');
}

/** A new account with one passkey (and the browser that added it). */
async function accountWithPasskey(authenticator = new SoftAuthenticator(origin())) {
  const email = uniqueEmail('passkey');
  const user = await createUser(email);
  const owner = await signedInBrowser(email);
  const added = await addPasskey(owner, authenticator);
  expect([added.status, added.body]).toEqual([200, { redirect: '/account' }]);
  return { email, user, owner, authenticator };
}

/** "Sign in with a passkey" on /login, in a new browser unless given one. */
async function passkeySignIn(authenticator: SoftAuthenticator, agent: Agent = request.agent(app())) {
  const options = await json(agent, '/login/passkey/options', {}, '/login');
  expect(options.status).toBe(200);
  const answer = authenticator.get(options.body);
  const response = await json(agent, '/login/passkey', { response: answer }, '/login');
  return { agent, response, answer };
}

const signedIn = async (agent: Agent) => (await agent.get('/account')).status === 200;

describe('adding a passkey', () => {
  it('stores only its public key, lists it on /account with its name, and mails the owner', async () => {
    const { email, user, owner } = await accountWithPasskey();
    const [stored] = await Passkey.find({ userId: user._id }).lean();
    expect(stored?.publicKey).toMatch(/^[\w-]+$/);
    expect(Object.keys(stored!)).not.toContain('privateKey');
    const page = await owner.get('/account').expect(200);
    expect(page.text).toContain('data-testid="passkey"');
    expect(page.text).toContain('not used yet');
    expect(page.text).toContain('Add a passkey');
    expect(await subjectsTo(email)).toContain('A passkey was added to your Fernhill Goods account');
  });

  it('needs a recent password: the page is sent to confirm it first', async () => {
    const email = uniqueEmail('passkey-reauth');
    await createUser(email);
    const owner = await signedInBrowser(email);
    clock.advance((shop().config.REAUTH_WINDOW + 1) * 1000);
    const options = await json(owner, '/account/passkeys/options', {}, '/account');
    expect([options.status, options.body.redirect]).toEqual([401, '/account/confirm']);
    // No challenge was issued: an answer made anyway has nothing to match.
    const answer = await json(owner, '/account/passkeys', { response: {} }, '/account');
    expect(answer.status).toBe(401);
    const confirmed = await json(owner, '/account/confirm', { password: PASSWORD }, '/account/confirm');
    expect(confirmed.headers.location).toBe('/account');
  });

  it('refuses a credential registered already, on this account or another', async () => {
    const { owner, authenticator } = await accountWithPasskey();
    const [id] = authenticator.credentialIds;
    const again = await addPasskey(owner, authenticator, id);
    expect([again.status, again.body.error]).toEqual([409, 'This passkey is registered already.']);
    const other = await signedInBrowser((await createUser(uniqueEmail('other'))).email);
    expect((await addPasskey(other, authenticator, id)).status).toBe(409);
    expect(await Passkey.countDocuments({ credentialId: id })).toBe(1);
  });

  it('answers a malformed or unverified answer with 400 and a sentence, never a 500', async () => {
    const email = uniqueEmail('garbage');
    await createUser(email);
    const owner = await signedInBrowser(email);
    for (const response of [undefined, 'text', { id: 'x', type: 'public-key', response: {} }, { id: { $gt: '' } }]) {
      await json(owner, '/account/passkeys/options', {}, '/account');
      const answer = await json(owner, '/account/passkeys', { response }, '/account');
      expect(answer.status).toBe(400);
      expect(typeof answer.body.error).toBe('string');
    }
    // Without user verification (a key that only checks presence), no passkey.
    const careless = new SoftAuthenticator(origin(), { verifiesUser: false });
    expect((await addPasskey(owner, careless)).status).toBe(400);
  });
});

describe('signing in with a passkey', () => {
  it('signs in without password or code, under a new session id, and records the method', async () => {
    const { email, user, authenticator } = await accountWithPasskey();
    const key = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';
    await turnOnTwoFactor(user._id, key, codeAt(key, Date.now()), secretBoxOf(shop().config));
    const { agent, response } = await passkeySignIn(authenticator);
    expect([response.status, response.body]).toEqual([200, { redirect: '/' }]);
    expect(sessionIdFrom(response.headers['set-cookie'])).toBeDefined();
    const account = await agent.get('/account').expect(200);
    expect(account.text).toContain('Signed in with a passkey');
    const stored = await Passkey.findOne({ userId: user._id }).lean();
    expect(stored?.counter).toBe(1);
    expect(stored?.lastUsedAt).toBeInstanceOf(Date);
    // From a browser the account had not seen: mailed as a new sign-in.
    expect(await subjectsTo(email)).toContain('New sign-in to your Fernhill Goods account');
  });

  it('refuses an answer replayed, whether to its spent challenge or to a new one', async () => {
    const { authenticator } = await accountWithPasskey();
    const { response, answer } = await passkeySignIn(authenticator);
    expect(response.status).toBe(200);
    const stranger = request.agent(app());
    const spent = await json(stranger, '/login/passkey', { response: answer }, '/login');
    expect(spent.status).toBe(400);
    await json(stranger, '/login/passkey/options', {}, '/login');
    const replayed = await json(stranger, '/login/passkey', { response: answer }, '/login');
    expect(replayed.status).toBe(400);
    expect(replayed.body.error).toContain('not accepted');
    expect(await signedIn(stranger)).toBe(false);
  });

  it('signs in once when the same answer is sent twice at once (the challenge is claimed once)', async () => {
    const { authenticator } = await accountWithPasskey();
    const agent = request.agent(app());
    const options = await json(agent, '/login/passkey/options', {}, '/login');
    const response = authenticator.get(options.body);
    const _csrf = await csrfToken(agent, '/login');
    const send = () => agent.post('/login/passkey').set('Accept', 'application/json').send({ _csrf, response });
    const answers = await Promise.all([send(), send()]);
    expect(answers.map((answer) => answer.status).sort()).toEqual([200, 400]);
  });

  it("refuses an answer to another browser's challenge", async () => {
    const { authenticator } = await accountWithPasskey();
    const victim = request.agent(app());
    const victimOptions = await json(victim, '/login/passkey/options', {}, '/login');
    const attacker = request.agent(app());
    await json(attacker, '/login/passkey/options', {}, '/login');
    // The answer to the victim's challenge, posted from the attacker's browser.
    const stolen = authenticator.get(victimOptions.body);
    const response = await json(attacker, '/login/passkey', { response: stolen }, '/login');
    expect(response.status).toBe(400);
    expect(await signedIn(attacker)).toBe(false);
  });

  it('refuses a challenge older than 5 minutes', async () => {
    const { authenticator } = await accountWithPasskey();
    const agent = request.agent(app());
    const options = await json(agent, '/login/passkey/options', {}, '/login');
    clock.advance(5 * 60 * 1000 + 1000);
    const late = await json(agent, '/login/passkey', { response: authenticator.get(options.body) }, '/login');
    expect([late.status, late.body.error]).toEqual([
      400,
      'This passkey request expired or was used already. Please try again.',
    ]);
  });

  it('checks the counter where the authenticator keeps one, and takes passkeys that keep none', async () => {
    const { user, authenticator } = await accountWithPasskey();
    expect((await passkeySignIn(authenticator)).response.status).toBe(200);
    // A clone of the key (its counter behind the one stored) is refused, and the refusal logged.
    await Passkey.updateOne({ userId: user._id }, { $set: { counter: 50 } });
    expect((await passkeySignIn(authenticator)).response.status).toBe(400);
    await afterResponseSettled();
    expect(await SecurityEvent.exists({ userId: user._id, kind: 'passkey-refused' })).not.toBeNull();

    const counterless = new SoftAuthenticator(origin(), { keepsCounter: false });
    const other = await accountWithPasskey(counterless);
    for (let use = 0; use < 2; use += 1) expect((await passkeySignIn(counterless)).response.status).toBe(200);
    expect((await Passkey.findOne({ userId: other.user._id }).lean())?.counter).toBe(0);
  });

  it('no longer signs in with a removed passkey (removal needs a recent password, and is mailed)', async () => {
    const { email, user, owner, authenticator } = await accountWithPasskey();
    const passkey = await Passkey.findOne({ userId: user._id });
    const removed = await json(owner, '/account/passkeys/remove', { passkey: passkey!._id.toString() }, '/account');
    expect([removed.status, removed.headers.location]).toEqual([302, '/account']);
    expect(await Passkey.countDocuments({ userId: user._id })).toBe(0);
    expect((await passkeySignIn(authenticator)).response.status).toBe(400);
    expect(await subjectsTo(email)).toContain('A passkey was removed from your Fernhill Goods account');
  });

  it('renames a passkey, within 60 characters', async () => {
    const { user, owner } = await accountWithPasskey();
    const passkey = (await Passkey.findOne({ userId: user._id }))!._id.toString();
    await json(owner, '/account/passkeys/rename', { passkey, name: 'Work laptop' }, '/account');
    expect((await owner.get('/account')).text).toContain('Work laptop');
    await json(owner, '/account/passkeys/rename', { passkey, name: 'x'.repeat(61) }, '/account');
    expect((await Passkey.findById(passkey).lean())?.name).toBe('Work laptop');
  });
});

describe('a passkey instead of the code', () => {
  async function accountWithBoth() {
    const made = await accountWithPasskey();
    const key = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';
    await turnOnTwoFactor(made.user._id, key, codeAt(key, Date.now()), secretBoxOf(shop().config));
    return made;
  }

  async function pendingSignIn(email: string) {
    const agent = request.agent(app());
    const _csrf = await csrfToken(agent, '/login');
    const password = await agent.post('/login').type('form').send({ _csrf, email, password: PASSWORD });
    expect(password.headers.location).toBe('/login/two-factor');
    return agent;
  }

  it('finishes the pending sign-in with a passkey of that account (the phone lost, the passkey not)', async () => {
    const { email, authenticator } = await accountWithBoth();
    const agent = await pendingSignIn(email);
    const options = await json(agent, '/login/two-factor/passkey/options', {}, '/login');
    expect(options.body.allowCredentials.map((c: { id: string }) => c.id)).toEqual(authenticator.credentialIds);
    const done = await json(
      agent,
      '/login/two-factor/passkey',
      { response: authenticator.get(options.body) },
      '/login',
    );
    expect([done.status, done.body]).toEqual([200, { redirect: '/' }]);
    expect((await agent.get('/account')).text).toContain('Signed in with the password and a passkey');
  });

  it("refuses another account's passkey", async () => {
    const { email } = await accountWithBoth();
    const stranger = await accountWithPasskey();
    const agent = await pendingSignIn(email);
    const options = await json(agent, '/login/two-factor/passkey/options', {}, '/login');
    const foreign = stranger.authenticator.get({ ...options.body, allowCredentials: [] });
    const refused = await json(agent, '/login/two-factor/passkey', { response: foreign }, '/login');
    expect(refused.status).toBe(400);
    expect(await signedIn(agent)).toBe(false);
  });
});

describe('re-authentication with a passkey', () => {
  it('confirms it is you and renews the session id', async () => {
    const { owner, authenticator } = await accountWithPasskey();
    clock.advance((shop().config.REAUTH_WINDOW + 1) * 1000);
    const asked = await owner.get('/account/two-factor');
    expect(asked.headers.location).toBe('/account/confirm');
    expect((await owner.get('/account/confirm')).text).toContain('Confirm with a passkey');
    const before = sessionIdFrom(sessionCookie(owner));
    const options = await json(owner, '/account/confirm/passkey/options', {}, '/account/confirm');
    const done = await json(
      owner,
      '/account/confirm/passkey',
      { response: authenticator.get(options.body) },
      '/account/confirm',
    );
    expect([done.status, done.body]).toEqual([200, { redirect: '/account/two-factor' }]);
    expect(sessionIdFrom(done.headers['set-cookie'])).not.toBe(before);
    expect((await owner.get('/account/two-factor')).status).toBe(200);
  });
});

describe('"this wasn\'t me"', () => {
  it('removes the passkeys added in the last 24 hours, and keeps older ones', async () => {
    const { email, user, owner } = await accountWithPasskey();
    clock.advance(2 * 24 * 60 * 60 * 1000);
    const intruder = await signedInBrowser(email);
    expect((await addPasskey(intruder, new SoftAuthenticator(origin()))).status).toBe(200);
    expect(await Passkey.countDocuments({ userId: user._id })).toBe(2);
    await afterResponseSettled();
    const mail = (await outbox.mailsTo(TEST_OUTBOX, email))
      .filter((m) => m.subject.includes('A passkey was added'))
      .at(-1)!;
    const notMe = /\/account\/not-me\/[\w-]{43}/.exec(mail.text)![0];
    const page = await owner.get(notMe).expect(200);
    await owner
      .post('/account/not-me')
      .type('form')
      .send({ _csrf: csrfFrom(page.text), token: notMe.split('/').pop() })
      .expect(200);
    const left = await Passkey.find({ userId: user._id }).lean();
    expect(left).toHaveLength(1);
    expect(left[0]!.createdAt.getTime()).toBeLessThan(Date.now() - 24 * 60 * 60 * 1000);
  });
});

describe('the page around it', () => {
  it('allows passkeys on our own pages only, and serves the browser library from our origin', async () => {
    const page = await request(app()).get('/login').expect(200);
    expect(page.headers['permissions-policy']).toContain('publickey-credentials-get=(self)');
    expect(page.text).toContain('autocomplete="username webauthn"');
    expect(page.text).toContain('Sign in with a passkey');
    expect(page.text).toContain('<script src="/vendor/simplewebauthn-browser.js" defer></script>');
    const script = await request(app()).get('/vendor/simplewebauthn-browser.js').expect(200);
    expect(script.headers['content-type']).toMatch(/javascript/);
    expect(script.text).toContain('@simplewebauthn/browser@13');
  });
});
