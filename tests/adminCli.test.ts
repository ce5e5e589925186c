import { execFile } from 'node:child_process';
import path from 'node:path';
import { RememberToken } from '../src/models/RememberToken';
import { SecurityEvent } from '../src/models/SecurityEvent';
import { User } from '../src/models/User';
import { browserSignedInTo, createUser, isSignedOut, uniqueEmail } from './helpers/http';
import { turnOnTwoFactor } from '../src/auth/twoFactor/factor';
import { codeAt, newTotpKey } from '../src/auth/twoFactor/totp';
import { issueRememberToken } from '../src/auth/rememberTokens';
import { secretBoxOf } from '../src/lib/secretBox';
import { waitForMailWithSubject } from './helpers/outbox';
import {
  TEST_DATA_KEY,
  TEST_ID_HASH_SECRET,
  TEST_OUTBOX,
  TEST_SECRET,
  useAppOn,
  useTestDatabase,
} from './helpers/testApp';

const database = useTestDatabase();
const testApp = useAppOn(database);
const ROOT = path.resolve(__dirname, '..');

/** `npm run admin -- …args`: the built script (jest's globalSetup builds it), on this file's database. */
function adminCli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return adminCliWith({}, ...args);
}

/** The same, with some of the environment changed. */
function adminCliWith(
  env: Record<string, string>,
  ...args: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [path.join(ROOT, 'dist', 'cli', 'admin.js'), ...args],
      {
        env: {
          PATH: process.env.PATH,
          NODE_ENV: 'test',
          MONGODB_URI: database(),
          SESSION_SECRET: TEST_SECRET,
          // The app's: sealed sessions name their user by an HMAC under it (see the store's codec).
          SESSION_ID_HASH_SECRET: TEST_ID_HASH_SECRET,
          DATA_ENCRYPTION_KEY: TEST_DATA_KEY,
          MAIL_OUTBOX_DIR: TEST_OUTBOX,
          ...env,
        },
      },
      (err, stdout, stderr) => resolve({ code: err ? Number(err.code) : 0, stdout, stderr }),
    );
  });
}

it('grants and revokes the admin role by email, saying what it did', async () => {
  const email = uniqueEmail();
  await createUser(email);

  const granted = await adminCli('grant', email.toUpperCase());
  expect(granted).toMatchObject({ code: 0, stdout: `${email} is now an admin.\n` });
  expect((await User.findOne({ email }))?.role).toBe('admin');

  const revoked = await adminCli('revoke', email);
  expect(revoked).toMatchObject({ code: 0, stdout: `${email} is now a customer.\n` });
  expect((await User.findOne({ email }))?.role).toBe('customer');
}, 30_000);

it('exits non-zero with one sentence for an unknown email or a wrong command', async () => {
  const unknown = await adminCli('grant', 'nobody@example.com');
  expect(unknown.code).toBe(1);
  expect(unknown.stderr).toBe('No account has the email nobody@example.com.\n');

  const wrong = await adminCli('promote', 'x@example.com');
  expect(wrong.code).toBe(2);
  expect(wrong.stderr).toBe(
    'Usage: npm run admin -- grant EMAIL | revoke EMAIL | end-sessions EMAIL | reset-two-factor EMAIL\n',
  );

  const unknownEnd = await adminCli('end-sessions', 'nobody@example.com');
  expect(unknownEnd.code).toBe(1);
  expect(unknownEnd.stderr).toBe('No account has the email nobody@example.com.\n');
}, 30_000);

describe('end-sessions', () => {
  const browserOf = (email: string, remember = false) => browserSignedInTo(testApp().app, email, { remember });

  it("refuses in one sentence when its secrets are not the shop's (it would find none of the sessions)", async () => {
    const email = uniqueEmail('elsewhere');
    await createUser(email);
    const browser = await browserOf(email);

    const ended = await adminCliWith(
      { SESSION_ID_HASH_SECRET: 'a-session-id-hash-secret-of-another-shop' },
      'end-sessions',
      email,
    );
    expect(ended.code).toBe(1);
    expect(ended.stderr).toBe(
      "Could not change the account: the shop's sessions are keyed or sealed with other secrets: run this with the shop's SESSION_ID_HASH_SECRET and DATA_ENCRYPTION_KEY (its environment, or the .data/ of the npm start in this folder).\n",
    );
    expect(await isSignedOut(browser)).toBe(false);
  });

  it('signs the account out everywhere, a remembered browser included, says how many and logs it', async () => {
    const email = uniqueEmail('ended');
    const user = await createUser(email);
    const other = await createUser(uniqueEmail('untouched'));
    const browsers = [await browserOf(email), await browserOf(email, true)];
    const bystander = await browserOf(other.email);

    const ended = await adminCli('end-sessions', email);
    expect(ended).toMatchObject({ code: 0, stdout: `Ended 2 sessions of ${email}: it is signed out everywhere.\n` });

    // Gone before the remembered browser comes back (which would delete an outdated token itself).
    expect(await RememberToken.countDocuments({ userId: user._id })).toBe(0);
    for (const browser of browsers) expect(await isSignedOut(browser)).toBe(true);
    const events = await SecurityEvent.find({ userId: user._id, kind: 'sessions-ended' }).lean();
    expect(events.map((event) => event.details)).toEqual([{ by: 'admin', count: 2 }]);
    expect(await isSignedOut(bystander)).toBe(false);

    const again = await adminCli('end-sessions', email);
    expect(again).toMatchObject({ code: 0, stdout: `Ended 0 sessions of ${email}: it is signed out everywhere.\n` });
  }, 30_000);
});

describe('reset-two-factor', () => {
  it('turns off the factor of someone who lost phone and codes, forgets trusted browsers, logs it and mails them', async () => {
    const email = uniqueEmail('lost-phone');
    const user = await createUser(email);
    const key = newTotpKey();
    const box = secretBoxOf(testApp().config);
    expect((await turnOnTwoFactor(user._id, key, codeAt(key, Date.now()), box)).kind).toBe('on');
    await issueRememberToken(user, 30, 'a trusted browser', { kind: 'trust' });

    const reset = await adminCli('reset-two-factor', email);
    expect(reset).toMatchObject({
      code: 0,
      stdout: `Two-step sign-in is off for ${email}, its trusted browsers are forgotten, and it was mailed.\n`,
    });
    expect((await User.findOne({ email }).lean())?.twoFactor?.enabledAt).toBeUndefined();
    expect(await RememberToken.countDocuments({ userId: user._id, kind: 'trust' })).toBe(0);
    expect(await SecurityEvent.exists({ userId: user._id, kind: 'two-factor-reset' })).not.toBeNull();
    const mail = await waitForMailWithSubject(email);
    expect(mail.subject).toBe('We turned off two-step sign-in for your Fernhill Goods account');
    // The password alone signs in now.
    expect(await isSignedOut(await browserSignedInTo(testApp().app, email))).toBe(false);

    const again = await adminCli('reset-two-factor', email);
    expect(again).toMatchObject({ code: 0, stdout: `${email} has no second factor: nothing to reset.\n` });
  }, 30_000);
});
