/**
 * Second factors (issue #23): an authenticator app (TOTP) turned on behind re-authentication, the
 * sign-in's second step, recovery codes, trusted browsers, re-authentication with the factor, and
 * the 8-character rule it allows. Codes are computed from the key the setup page shows, at the
 * time of a controlled clock (only Date is faked), so window edges need no waiting.
 */
import request from 'supertest';
import { afterResponseSettled } from '../src/lib/afterResponse';
import { codeAt, stepAt, TOTP_PERIOD_SECONDS } from '../src/auth/twoFactor/totp';
import { PENDING_SIGN_IN_MS } from '../src/auth/twoFactor/secondStep';
import { RememberToken } from '../src/models/RememberToken';
import { User } from '../src/models/User';
import { secretBox } from '../src/lib/secretBox';
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
import { resetPathIn, subjectsTo } from './helpers/outbox';
import { postForm } from './helpers/shop';
import { TEST_DATA_KEY, TEST_OUTBOX, buildApp, useAppOn, useTestDatabase } from './helpers/testApp';
import { useControlledClock } from './helpers/clock';

const database = useTestDatabase();
const shop = useAppOn(database, { LOGIN_MAX_FAILURES: '4' });
const app = () => shop().app;
const clock = useControlledClock();
const STEP_MS = TOTP_PERIOD_SECONDS * 1000;
/** Short, but not a common password (the strength check still applies). */
const EIGHT_CHARACTERS = 'vq7#Lm2x';

const keyIn = (html: string) => /id="totp-secret"[^>]*>([A-Z2-7]+)</.exec(html)?.[1];
const recoveryCodesIn = (html: string) => {
  const list = /id="recovery-codes"[^>]*>([\s\S]*?)<\/ul>/.exec(html)?.[1] ?? '';
  return [...list.matchAll(/<li><code>([\w-]+)<\/code><\/li>/g)].map((match) => match[1]!);
};

/** A form sent with the CSRF token of the page it is on (`from`). */
const post = postForm;

/** The password step of /login, in a new browser unless given one. */
async function passwordStep(email: string, agent: Agent = request.agent(app()), password = PASSWORD, remember = false) {
  const response = await post(agent, '/login', { email, password, ...(remember ? { remember: 'on' } : {}) }, '/login');
  return { agent, response };
}

// The token of /login: the two-factor page itself sends an expired sign-in back there.
const secondStep = (agent: Agent, code: string, trust = false) =>
  post(agent, '/login/two-factor', { code, ...(trust ? { trust: 'on' } : {}) }, '/login');

// The token first: an agent's request takes the cookies it holds when it is made.
const logOut = async (agent: Agent) => {
  const _csrf = await csrfToken(agent, '/account');
  await agent.post('/logout').type('form').send({ _csrf }).expect(302);
};

/** The newest mail to `email` whose subject contains `subject`. */
async function newestMail(email: string, subject: string) {
  await afterResponseSettled();
  const mails = (await outbox.mailsTo(TEST_OUTBOX, email)).filter((mail) => mail.subject.includes(subject));
  if (mails.length === 0) throw new Error(`no mail "${subject}" to ${email}`);
  return mails.at(-1)!.text;
}

/** Sets a new password through a mailed reset link, from a new browser; resolves to the reset page's text. */
async function resetPassword(email: string, password: string) {
  const browser = request.agent(app());
  await post(browser, '/reset', { email }, '/reset');
  const resetPath = resetPathIn(await newestMail(email, 'Reset'));
  const page = await browser.get(resetPath).expect(200);
  await browser
    .post('/new-password')
    .type('form')
    .send({
      _csrf: csrfFrom(page.text),
      passwordToken: resetPath.split('/').pop(),
      password,
      confirmPassword: password,
    })
    .expect(302);
  return page.text;
}

const signedIn = async (agent: Agent) => (await agent.get('/account')).status === 200;

/** A new account with the authenticator on (its key known to the test), and the browser that set it up. */
async function accountWithFactor() {
  const email = uniqueEmail('totp');
  await createUser(email);
  const { agent } = await passwordStep(email);
  const setup = await agent.get('/account/two-factor').expect(200);
  const key = keyIn(setup.text)!;
  const turnedOn = await post(agent, '/account/two-factor', { code: codeAt(key, Date.now()) }, '/account/two-factor');
  expect(turnedOn.status).toBe(200);
  const recoveryCodes = recoveryCodesIn(turnedOn.text);
  // The setup's code used its step: the next sign-in needs the next step's code.
  clock.advance(STEP_MS);
  return { email, key, recoveryCodes, owner: agent };
}

/** Signs in a new browser all the way, with the current code. */
async function signInWithCode(email: string, key: string, trust = false, agent?: Agent) {
  const step = await passwordStep(email, agent);
  const response = await secondStep(step.agent, codeAt(key, Date.now()), trust);
  expect([response.status, response.headers.location]).toEqual([302, '/']);
  clock.advance(STEP_MS);
  return step.agent;
}

describe('turning the authenticator on', () => {
  it('shows a QR code from our origin and the key, and turns on only with a code of that key', async () => {
    const email = uniqueEmail('setup');
    await createUser(email);
    const { agent } = await passwordStep(email);
    const page = await agent.get('/account/two-factor').expect(200);
    const key = keyIn(page.text)!;
    expect(key).toMatch(/^[A-Z2-7]{32}$/);
    expect(page.text).toContain('src="/account/two-factor/qr.svg"');
    // A reload offers the same key (the app may have scanned it already).
    expect(keyIn((await agent.get('/account/two-factor')).text)).toBe(key);
    const qr = await agent.get('/account/two-factor/qr.svg').expect(200);
    expect(qr.headers['content-type']).toMatch(/^image\/svg\+xml/);
    expect(String(qr.body ?? qr.text)).toContain('<svg');

    const wrong = await post(agent, '/account/two-factor', { code: '000000' }, '/account/two-factor');
    expect(wrong.status).toBe(422);
    expect((await User.findOne({ email }).lean())?.twoFactor?.enabledAt).toBeUndefined();

    const on = await post(agent, '/account/two-factor', { code: codeAt(key, Date.now()) }, '/account/two-factor');
    expect(on.status).toBe(200);
    const codes = recoveryCodesIn(on.text);
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    for (const code of codes) expect(code).toMatch(/^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$/);
    expect(on.text).toMatch(/download="fernhill-goods-recovery-codes.txt"/);
    expect(on.headers['cache-control']).toContain('no-store');

    // At rest: the key sealed (never in plain text), the codes only as hashes.
    const stored = await User.findOne({ email }).select('+twoFactor.secret').lean();
    expect(stored?.twoFactor?.secret).toMatch(/^v1\./);
    expect(JSON.stringify(stored)).not.toContain(key);
    for (const code of codes) expect(JSON.stringify(stored)).not.toContain(code);
    expect((await agent.get('/account')).text).toContain('10 unused recovery codes left');
    expect(await subjectsTo(email)).toContain('Two-step sign-in is on for your Fernhill Goods account');
  });

  it('asks for the password first when it was entered too long ago, then comes back to the page', async () => {
    const email = uniqueEmail('setup-reauth');
    await createUser(email);
    const { agent } = await passwordStep(email);
    clock.advance((shop().config.REAUTH_WINDOW + 1) * 1000);
    const asked = await agent.get('/account/two-factor');
    expect([asked.status, asked.headers.location]).toEqual([303, '/account/confirm']);
    const confirmed = await post(agent, '/account/confirm', { password: PASSWORD }, '/account/confirm');
    expect([confirmed.status, confirmed.headers.location]).toEqual([302, '/account/two-factor']);
    expect(keyIn((await agent.get('/account/two-factor')).text)).toBeDefined();
  });
});

describe('signing in with a second factor', () => {
  it('does not sign in on the password alone: the code finishes it, under a new session id', async () => {
    const { email, key } = await accountWithFactor();
    const { agent, response } = await passwordStep(email);
    expect([response.status, response.headers.location]).toEqual([302, '/login/two-factor']);
    expect(await signedIn(agent)).toBe(false);
    const pendingId = sessionIdFrom(response.headers['set-cookie']);

    const done = await secondStep(agent, codeAt(key, Date.now()));
    // Back to the page that sent it to the login (the check above asked for /account).
    expect([done.status, done.headers.location]).toEqual([302, '/account']);
    const newId = sessionIdFrom(done.headers['set-cookie']);
    expect(newId).toBeDefined();
    expect(newId).not.toBe(pendingId);
    const account = await agent.get('/account').expect(200);
    expect(account.text).toContain('Signed in with the password and an authenticator code');
  });

  it('takes the code of the current step and the one before, never an older or a later one', async () => {
    const { email, key } = await accountWithFactor();
    // Two steps after the setup's: the step before is unused too.
    clock.advance(STEP_MS);
    const now = Date.now();
    for (const [at, accepted] of [
      [now - 2 * STEP_MS, false],
      [now + STEP_MS, false],
      [now - STEP_MS, true],
    ] as const) {
      const { agent } = await passwordStep(email);
      const response = await secondStep(agent, codeAt(key, at));
      expect([at - now, response.status]).toEqual([at - now, accepted ? 302 : 422]);
    }
    // The current step is after the one just used: it works too.
    const { agent } = await passwordStep(email);
    expect((await secondStep(agent, codeAt(key, now))).status).toBe(302);
  });

  it('takes each code once: a replay fails, and the same code sent twice at once signs in once', async () => {
    const { email, key } = await accountWithFactor();
    const code = codeAt(key, Date.now());
    const first = await passwordStep(email);
    expect((await secondStep(first.agent, code)).status).toBe(302);
    const replay = await passwordStep(email);
    expect((await secondStep(replay.agent, code)).status).toBe(422);

    clock.advance(STEP_MS);
    const next = codeAt(key, Date.now());
    const twice = await passwordStep(email);
    const _csrf = await csrfToken(twice.agent, '/login/two-factor');
    const send = () => twice.agent.post('/login/two-factor').type('form').send({ _csrf, code: next });
    const answers = await Promise.all([send(), send()]);
    expect(answers.map((answer) => answer.status).sort()).toEqual([302, 422]);
    const step = await User.findOne({ email }).lean();
    expect(step?.twoFactor?.lastStep).toBe(stepAt(Date.now()));
  });

  it('counts wrong codes like wrong passwords: over the budget, 429 with Retry-After, even for the right code', async () => {
    const { email, key } = await accountWithFactor();
    const { agent } = await passwordStep(email);
    for (let attempt = 0; attempt < 4; attempt += 1) expect((await secondStep(agent, '123456')).status).toBe(422);
    const refused = await secondStep(agent, codeAt(key, Date.now()));
    expect(refused.status).toBe(429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect(await signedIn(agent)).toBe(false);
  });

  it('keeps the pending sign-in to this browser, for 5 minutes, and for one use', async () => {
    const { email, key } = await accountWithFactor();
    const { agent } = await passwordStep(email);
    // Another browser has nothing pending.
    const stranger = await request.agent(app()).get('/login/two-factor');
    expect([stranger.status, stranger.headers.location]).toEqual([302, '/login']);

    clock.advance(PENDING_SIGN_IN_MS + 1000);
    const late = await secondStep(agent, codeAt(key, Date.now()));
    expect([late.status, late.headers.location]).toEqual([302, '/login']);
    expect(await signedIn(agent)).toBe(false);

    await passwordStep(email, agent);
    const code = codeAt(key, Date.now());
    expect((await secondStep(agent, code)).status).toBe(302);
    await logOut(agent);
    clock.advance(STEP_MS);
    // The pending sign-in was used: the next code alone signs nobody in.
    const again = await secondStep(agent, codeAt(key, Date.now()));
    expect([again.status, again.headers.location]).toEqual([302, '/login']);
  });

  it('still asks for the code after a password reset, and then takes a new password of 8 characters', async () => {
    const { email, key } = await accountWithFactor();
    const password = EIGHT_CHARACTERS;
    expect(await resetPassword(email, password)).toContain('At least 8 characters');

    const { agent, response } = await passwordStep(email, undefined, password);
    expect(response.headers.location).toBe('/login/two-factor');
    expect(await signedIn(agent)).toBe(false);
    expect((await secondStep(agent, codeAt(key, Date.now()))).status).toBe(302);
  });
});

describe('recovery codes', () => {
  it('sign in once each, tell the owner, and count down on /account with a warning at 3', async () => {
    const { email, recoveryCodes } = await accountWithFactor();
    const [first, ...rest] = recoveryCodes;
    const { agent } = await passwordStep(email);
    // Typed in lower case, without dashes: the same code.
    const used = await secondStep(agent, first!.toLowerCase().replace(/-/g, ''));
    expect(used.status).toBe(302);
    expect((await agent.get('/account')).text).toContain('Signed in with the password and a recovery code');
    expect(await subjectsTo(email)).toContain('A recovery code of your Fernhill Goods account was used');
    const again = await passwordStep(email);
    expect((await secondStep(again.agent, first!)).status).toBe(422);

    for (const code of rest.slice(0, 6)) {
      const step = await passwordStep(email);
      expect((await secondStep(step.agent, code)).status).toBe(302);
    }
    const account = await agent.get('/account');
    expect(account.text).toContain('3 unused recovery codes left');
    expect(account.text).toContain('Make a new set before you run out');
  });

  it('of two uses of one code at once, one wins', async () => {
    const { email, recoveryCodes } = await accountWithFactor();
    const [a, b] = await Promise.all([passwordStep(email), passwordStep(email)]);
    const answers = await Promise.all([secondStep(a.agent, recoveryCodes[0]!), secondStep(b.agent, recoveryCodes[0]!)]);
    expect(answers.map((answer) => answer.status).sort()).toEqual([302, 422]);
    expect((await User.findOne({ email }).lean())?.twoFactor?.recoveryCodes).toHaveLength(9);
  });

  it('are replaced by a new set (behind re-authentication): the old ones stop working', async () => {
    const { email, recoveryCodes, owner } = await accountWithFactor();
    const replaced = await post(owner, '/account/two-factor/recovery-codes', {}, '/account/two-factor');
    expect(replaced.status).toBe(200);
    const fresh = recoveryCodesIn(replaced.text);
    expect(fresh).toHaveLength(10);
    expect(fresh).not.toContain(recoveryCodes[0]);
    const old = await passwordStep(email);
    expect((await secondStep(old.agent, recoveryCodes[0]!)).status).toBe(422);
    const current = await passwordStep(email);
    expect((await secondStep(current.agent, fresh[0]!)).status).toBe(302);
    expect(await subjectsTo(email)).toContain('New recovery codes for your Fernhill Goods account');
  });
});

describe('trusted browsers', () => {
  it('skip only the code, for 30 days, and show on /account', async () => {
    const { email, key } = await accountWithFactor();
    const browser = await signInWithCode(email, key, true);
    expect(await subjectsTo(email)).toContain('A browser now skips the code for your Fernhill Goods account');
    await logOut(browser);

    const { response } = await passwordStep(email, browser);
    expect([response.status, response.headers.location]).toEqual([302, '/']);
    const account = await browser.get('/account').expect(200);
    expect(account.text).toContain('Signed in with the password and a trusted browser');
    expect(account.text).toContain('Trusted (skips the code)');
    // Never the password: a wrong one is refused as ever.
    await logOut(browser);
    expect((await passwordStep(email, browser, 'wrong password entirely')).response.status).toBe(422);

    clock.advance(31 * 86_400_000);
    const expired = await passwordStep(email, browser);
    expect(expired.response.headers.location).toBe('/login/two-factor');
  });

  /** A browser trusted and signed out, and the owner signed in elsewhere. */
  async function trustedAndOwner() {
    const { email, key } = await accountWithFactor();
    const trusted = await signInWithCode(email, key, true);
    await logOut(trusted);
    const owner = await signInWithCode(email, key);
    const userId = (await User.findOne({ email }))!._id;
    const trustsLeft = () => RememberToken.countDocuments({ userId, kind: 'trust', replacedAt: null });
    expect(await trustsLeft()).toBe(1);
    return { email, key, trusted, owner, trustsLeft };
  }
  const asksForCode = async (agent: Agent, email: string, password = PASSWORD) =>
    (await passwordStep(email, agent, password)).response.headers.location === '/login/two-factor';

  it('are ended by a password change', async () => {
    const { email, trusted, owner, trustsLeft } = await trustedAndOwner();
    const password = 'a new password of enough length';
    const fields = { currentPassword: PASSWORD, newPassword: password, confirmNewPassword: password };
    expect((await post(owner, '/account/password', fields, '/account')).status).toBe(302);
    expect(await asksForCode(trusted, email, password)).toBe(true);
    expect(await trustsLeft()).toBe(0);
  });

  it('are ended by a password reset', async () => {
    const { email, trusted, trustsLeft } = await trustedAndOwner();
    const password = 'a reset password of enough length';
    await resetPassword(email, password);
    expect(await asksForCode(trusted, email, password)).toBe(true);
    expect(await trustsLeft()).toBe(0);
  });

  it('are ended by turning the factor off (the password alone then signs in)', async () => {
    const { email, trusted, owner, trustsLeft } = await trustedAndOwner();
    expect((await post(owner, '/account/two-factor/disable', {}, '/account')).headers.location).toBe('/account');
    expect(await trustsLeft()).toBe(0);
    expect(await subjectsTo(email)).toContain('Two-step sign-in is off for your Fernhill Goods account');
    const { response } = await passwordStep(email, trusted);
    expect(response.headers.location).toBe('/');
    expect((await trusted.get('/account')).text).toContain('Signed in with the password <');
  });

  it('are ended by "this wasn\'t me"', async () => {
    const { email, trustsLeft } = await trustedAndOwner();
    const notMe = /\/account\/not-me\/[\w-]{43}/.exec(await newestMail(email, 'skips the code'))![0];
    const browser = request.agent(app());
    const page = await browser.get(notMe).expect(200);
    await browser
      .post('/account/not-me')
      .type('form')
      .send({ _csrf: csrfFrom(page.text), token: notMe.split('/').pop() })
      .expect(200);
    expect(await trustsLeft()).toBe(0);
  });
});

describe('re-authentication with a second factor', () => {
  it('asks for a code besides the password, and renews the session id', async () => {
    const { email, key } = await accountWithFactor();
    const agent = await signInWithCode(email, key);
    clock.advance((shop().config.REAUTH_WINDOW + 1) * 1000);
    const asked = await post(agent, '/account/two-factor/recovery-codes', {}, '/account');
    expect(asked.headers.location).toBe('/account/confirm');
    const page = await agent.get('/account/confirm').expect(200);
    expect(page.text).toContain('name="code"');

    const passwordOnly = await post(agent, '/account/confirm', { password: PASSWORD }, '/account/confirm');
    expect(passwordOnly.status).toBe(422);
    const wrongCode = await post(agent, '/account/confirm', { password: PASSWORD, code: '000000' }, '/account/confirm');
    expect(wrongCode.status).toBe(422);
    const before = sessionIdFrom(sessionCookie(agent));
    const confirmed = await post(
      agent,
      '/account/confirm',
      { password: PASSWORD, code: codeAt(key, Date.now()) },
      '/account/confirm',
    );
    expect(confirmed.status).toBe(200);
    expect(confirmed.text).toContain('Make new recovery codes');
    const after = sessionIdFrom(confirmed.headers['set-cookie']);
    expect(before).toBeDefined();
    expect(after).toBeDefined();
    expect(after).not.toBe(before);
  });
});

describe('the password rule with a second factor', () => {
  it('takes 8 characters once the factor is on, and asks for 15 without it', async () => {
    const changeTo = (agent: Agent, password: string) =>
      post(
        agent,
        '/account/password',
        { currentPassword: PASSWORD, newPassword: password, confirmNewPassword: password },
        '/account',
      );
    const { owner } = await accountWithFactor();
    expect((await owner.get('/account')).text).toContain('New password (at least 8 characters)');
    // Short passwords are checked against the leaked ones too ("galaktika" passes the estimator).
    const leaked = await changeTo(owner, 'galaktika');
    expect(leaked.status).toBe(422);
    expect(leaked.text).toContain('on a list of passwords leaked from other sites');
    expect((await changeTo(owner, EIGHT_CHARACTERS)).status).toBe(302);

    const plain = uniqueEmail('no-factor');
    await createUser(plain);
    const { agent } = await passwordStep(plain);
    const refused = await changeTo(agent, EIGHT_CHARACTERS);
    expect(refused.status).toBe(422);
    expect(refused.text).toContain('Use at least 15 characters.');
  });
});

describe('keys at rest', () => {
  it('open only unchanged, in their own account, under a listed key', () => {
    const box = secretBox([TEST_DATA_KEY]);
    const sealed = box.seal('JBSWY3DPEHPK3PXP', 'account-a');
    expect(box.open(sealed, 'account-a')).toBe('JBSWY3DPEHPK3PXP');
    expect(() => box.open(sealed, 'account-b')).toThrow();
    const [version, id, iv, tag, ciphertext] = sealed.split('.');
    const flipped = `${ciphertext!.startsWith('A') ? 'B' : 'A'}${ciphertext!.slice(1)}`;
    expect(() => box.open([version, id, iv, tag, flipped].join('.'), 'account-a')).toThrow();
    expect(() => secretBox(['another-key-of-at-least-32-characters!']).open(sealed, 'account-a')).toThrow(
      /no longer lists/,
    );
    // Two seals of one secret differ (a fresh IV each time).
    expect(box.seal('JBSWY3DPEHPK3PXP', 'account-a')).not.toBe(sealed);
  });

  it('decrypt under an older key and move to the newest key at their next use', async () => {
    const { email, key } = await accountWithFactor();
    const before = await User.findOne({ email }).select('+twoFactor.secret').lean();
    const rotated = await buildApp(database(), {
      DATA_ENCRYPTION_KEY: `a-newer-data-encryption-key-of-32-chars-or-more,${TEST_DATA_KEY}`,
    });
    try {
      const agent = request.agent(rotated.app);
      const _csrf = await csrfToken(agent, '/login');
      await agent.post('/login').type('form').send({ _csrf, email, password: PASSWORD }).expect(302);
      const done = await agent
        .post('/login/two-factor')
        .type('form')
        .send({ _csrf: await csrfToken(agent, '/login/two-factor'), code: codeAt(key, Date.now()) });
      expect(done.status).toBe(302);
      const after = await User.findOne({ email }).select('+twoFactor.secret').lean();
      expect(after?.twoFactor?.secret?.split('.')[1]).not.toBe(before?.twoFactor?.secret?.split('.')[1]);
    } finally {
      await rotated.close();
    }
  });
});
