import bcrypt from 'bcryptjs';
import request from 'supertest';
import { afterResponseSettled } from '../src/lib/afterResponse';
import * as passwords from '../src/lib/passwords';
import { User } from '../src/models/User';
import { PASSWORD, createUser, csrfFrom, logIn, loggedInAgent, uniqueEmail, type Agent } from './helpers/http';
import { mailsTo, resetPathIn, waitForMail, waitForMails } from './helpers/outbox';
import { postForm } from './helpers/shop';
import { useTestApp } from './helpers/testApp';

const testApp = useTestApp();
const app = () => testApp().app;

const FOURTEEN = 'amber lynx fog';
const FIFTEEN = 'amber lynx fogs';
/**
 * Two 64-character Greek passwords (115 UTF-8 bytes each) that differ only in their last letter,
 * 40 bytes past the 72 that bcrypt reads: plain bcrypt takes either for the other.
 */
const GREEK = 'ο γλάρος πετά πάνω από το λιμάνι και ο ψαράς δένει τη βάρκα στο';
const GREEK_ALPHA = `${GREEK}α`;
const GREEK_BETA = `${GREEK}β`;
const SIXTY_FIVE = `${GREEK_ALPHA}ς`;

const signUp = (email: string, password: string) =>
  postForm(request.agent(app()), '/signup', { email, password, confirmPassword: password }, '/signup');

function verifyPathIn(mail: string): string {
  const match = /\/verify\/[\w-]{43}/.exec(mail);
  if (!match) throw new Error(`no confirmation link in the mail:\n${mail}`);
  return match[0];
}

/** Sends the form of a mailed link's page (/verify/… or /reset/…) with `password`. */
async function submitLinkPage(link: string, password: string) {
  const agent = request.agent(app());
  const page = await agent.get(link).expect(200);
  const token = link.split('/').pop();
  const fields = link.startsWith('/verify/') ? { token } : { passwordToken: token };
  const action = link.startsWith('/verify/') ? '/verify' : '/new-password';
  return agent
    .post(action)
    .type('form')
    .send({ _csrf: csrfFrom(page.text), ...fields, password, confirmPassword: password });
}

/** Asks for a reset link and returns it from the newest mail. */
async function resetLinkFor(email: string): Promise<string> {
  const before = await mailsTo(email);
  await postForm(request.agent(app()), '/reset', { email }, '/reset');
  return resetPathIn((await waitForMails(email, before + 1)).at(-1)!);
}

const changePassword = (agent: Agent, currentPassword: string, newPassword: string) =>
  postForm(agent, '/account/password', { currentPassword, newPassword, confirmNewPassword: newPassword }, '/account');

const logsIn = async (email: string, password: string) => (await logIn(request.agent(app()), email, password)).status;

const storedHash = async (email: string) => (await User.findOne({ email }).select('+password'))?.password;

describe('at least 15 characters for a new password, while it is the account’s only factor', () => {
  it('is the rule at signup and on the confirmation link’s page, and both pages say so', async () => {
    expect((await request(app()).get('/signup')).text).toContain('At least 15 characters');
    const email = uniqueEmail('fifteen');
    const short = await signUp(email, FOURTEEN);
    expect(short.status).toBe(422);
    expect(short.text).toContain('Use at least 15 characters.');

    expect((await signUp(email, FIFTEEN)).status).toBe(302);
    const link = verifyPathIn(await waitForMail(email));
    expect((await request(app()).get(link)).text).toContain('At least 15 characters');
    expect((await submitLinkPage(link, FOURTEEN)).status).toBe(422);
    expect((await submitLinkPage(link, FIFTEEN)).status).toBe(302);
    expect(await logsIn(email, FIFTEEN)).toBe(302);
  });

  it('is the rule on the account page, which says so', async () => {
    const { agent, email } = await loggedInAgent(app(), uniqueEmail('fifteen'));
    expect((await agent.get('/account')).text).toContain('New password (at least 15 characters)');
    const short = await changePassword(agent, PASSWORD, FOURTEEN);
    expect(short.status).toBe(422);
    expect(short.text).toContain('Use at least 15 characters.');
    expect((await changePassword(agent, PASSWORD, FIFTEEN)).status).toBe(302);
    expect(await logsIn(email, FIFTEEN)).toBe(302);
  });

  it('is the rule for a reset’s new password, whose page says so', async () => {
    const email = uniqueEmail('fifteen');
    await createUser(email);
    const link = await resetLinkFor(email);
    expect((await request(app()).get(link)).text).toContain('At least 15 characters');
    const short = await submitLinkPage(link, FOURTEEN);
    expect(short.status).toBe(422);
    expect(short.text).toContain('Use at least 15 characters.');
    expect((await submitLinkPage(link, FIFTEEN)).status).toBe(302);
    expect(await logsIn(email, FIFTEEN)).toBe(302);
  });

  it('never applies to logging in: a shorter password set before the rule still works', async () => {
    const email = uniqueEmail('grandfathered');
    await createUser(email, 'twelve chars');
    expect(await logsIn(email, 'twelve chars')).toBe(302);
  });
});

describe('up to 64 characters in any script, compared exactly as typed', () => {
  it('takes two 64-character passwords that differ only after byte 72, each logging in only itself', async () => {
    const { agent, email } = await loggedInAgent(app(), uniqueEmail('greek'));
    expect((await changePassword(agent, PASSWORD, GREEK_ALPHA)).status).toBe(302);
    expect(await logsIn(email, GREEK_ALPHA)).toBe(302);
    expect(await logsIn(email, GREEK_BETA)).toBe(422);

    const again = request.agent(app());
    expect((await logIn(again, email, GREEK_ALPHA)).status).toBe(302);
    expect((await changePassword(again, GREEK_ALPHA, GREEK_BETA)).status).toBe(302);
    expect(await logsIn(email, GREEK_BETA)).toBe(302);
    expect(await logsIn(email, GREEK_ALPHA)).toBe(422);
  });

  it('takes one at signup and through a reset link too', async () => {
    const email = uniqueEmail('greek');
    expect((await signUp(email, GREEK_ALPHA)).status).toBe(302);
    expect((await submitLinkPage(verifyPathIn(await waitForMail(email)), GREEK_ALPHA)).status).toBe(302);
    expect(await logsIn(email, GREEK_BETA)).toBe(422);
    expect((await submitLinkPage(await resetLinkFor(email), GREEK_BETA)).status).toBe(302);
    expect(await logsIn(email, GREEK_BETA)).toBe(302);
    expect(await logsIn(email, GREEK_ALPHA)).toBe(422);
  });

  it('hashes the whole password: one differing after byte 72 does not match (plain bcrypt would say it does)', async () => {
    const hash = await passwords.hashPassword(GREEK_ALPHA, 4);
    expect(await passwords.verifyPassword(GREEK_ALPHA, hash)).toBe(true);
    expect(await passwords.verifyPassword(GREEK_BETA, hash)).toBe(false);
  });

  it('refuses 65 characters with 422 and says so on signup, on the account page and through a reset link', async () => {
    const email = uniqueEmail('sixty-five');
    const atSignup = await signUp(email, SIXTY_FIVE);
    expect(atSignup.status).toBe(422);
    expect(atSignup.text).toContain('Use at most 64 characters.');

    const { agent, email: member } = await loggedInAgent(app(), uniqueEmail('sixty-five'));
    const onAccount = await changePassword(agent, PASSWORD, SIXTY_FIVE);
    expect(onAccount.status).toBe(422);
    expect(onAccount.text).toContain('Use at most 64 characters.');

    const throughReset = await submitLinkPage(await resetLinkFor(member), SIXTY_FIVE);
    expect(throughReset.status).toBe(422);
    expect(throughReset.text).toContain('Use at most 64 characters.');
    expect(await logsIn(member, PASSWORD)).toBe(302);
  });

  it('answers a longer password at login with the generic failure, after a full comparison', async () => {
    const email = uniqueEmail('long-login');
    await createUser(email, GREEK_ALPHA);
    const compare = jest.spyOn(passwords, 'verifyPassword');
    try {
      const response = await logIn(request.agent(app()), email, SIXTY_FIVE);
      expect(response.status).toBe(422);
      expect(response.text).toContain('Invalid email or password.');
      expect(compare).toHaveBeenCalledTimes(1);
    } finally {
      compare.mockRestore();
    }
  });
});

describe('hashes stored before the pre-hash (plain bcrypt)', () => {
  const OLD_PASSWORD = 'an older password, from before';

  async function userWithOldHash(password = OLD_PASSWORD) {
    const email = uniqueEmail('old-hash');
    await User.create({ email, password: bcrypt.hashSync(password, 4) });
    return email;
  }

  it('still log in, are stored in the new format at that login, and log in afterwards', async () => {
    const email = await userWithOldHash();
    expect(await logsIn(email, 'an older password, from befor')).toBe(422);
    expect(await storedHash(email)).toMatch(/^\$2[aby]\$04\$/);

    expect(await logsIn(email, OLD_PASSWORD)).toBe(302);
    await afterResponseSettled();
    expect(await storedHash(email)).toMatch(/^\$fh2\$\$2[aby]\$04\$/);
    expect(await logsIn(email, OLD_PASSWORD)).toBe(302);
    expect(await logsIn(email, 'an older password, from befor')).toBe(422);
  });

  it('never let in a password longer than 72 bytes that starts with the stored one', async () => {
    const exactly72 = 'seventy-two bytes, stored as plain bcrypt: '.padEnd(72, 'x');
    const email = await userWithOldHash(exactly72);
    expect(await logsIn(email, `${exactly72}!`)).toBe(422);
    expect(await logsIn(email, exactly72)).toBe(302);
  });

  it('are not upgraded over a password changed meanwhile', async () => {
    const email = await userWithOldHash();
    const hash = passwords.hashPassword;
    let upgradeStarted!: () => void;
    const started = new Promise<void>((resolve) => (upgradeStarted = resolve));
    let releaseUpgrade!: () => void;
    const released = new Promise<void>((resolve) => (releaseUpgrade = resolve));
    // The upgrade's hash (the first one after the login) waits while the password changes.
    const held = jest.spyOn(passwords, 'hashPassword').mockImplementationOnce(async (password, cost) => {
      upgradeStarted();
      await released;
      return hash(password, cost);
    });
    try {
      const agent = request.agent(app());
      expect((await logIn(agent, email, OLD_PASSWORD)).status).toBe(302);
      await started;
      expect((await changePassword(agent, OLD_PASSWORD, FIFTEEN)).status).toBe(302);
      const changed = await storedHash(email);
      releaseUpgrade();
      await afterResponseSettled();

      expect(await storedHash(email)).toBe(changed);
      expect(await logsIn(email, OLD_PASSWORD)).toBe(422);
      expect(await logsIn(email, FIFTEEN)).toBe(302);
    } finally {
      held.mockRestore();
    }
  });
});
