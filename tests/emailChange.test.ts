import request from 'supertest';
import { afterResponseSettled } from '../src/lib/afterResponse';
import { AccountToken } from '../src/models/AccountToken';
import { SecurityEvent } from '../src/models/SecurityEvent';
import { User } from '../src/models/User';
import { issueToken } from '../src/services/accountTokens';
import { mailsTo as outboxMails, waitForMailTo } from '../support/outbox';
import { waitFor } from '../support/waitFor';
import {
  PASSWORD,
  createUser,
  csrfFrom,
  csrfToken,
  logIn,
  sessionCookie,
  uniqueEmail,
  type Agent,
} from './helpers/http';
import { mailsTo } from './helpers/outbox';
import { postForm } from './helpers/shop';
import { TEST_OUTBOX, storedSession, useTestApp } from './helpers/testApp';

const testApp = useTestApp();
const app = () => testApp().app;

const CHECK_INBOX = /Check your inbox at [^:]+: we have sent a link to confirm it/;
const LINK_SUBJECT = 'Confirm the new address of your Fernhill Goods account';
const REQUESTED_SUBJECT = 'A new address was asked for your Fernhill Goods account';
const CHANGED_SUBJECT = 'The email address of your Fernhill Goods account was changed';

/** A user logged in on a fresh agent (their password entered just now: inside the re-auth window). */
async function signedIn(email = uniqueEmail('mover')) {
  const user = await createUser(email);
  const agent = request.agent(app());
  expect((await logIn(agent, email)).status).toBe(302);
  return { user, agent, email };
}

const askFor = (agent: Agent, email: unknown, password: unknown = PASSWORD) =>
  postForm(agent, '/account/email', { email, password }, '/account');

const mailWith = (to: string, subject: string) => waitForMailTo(TEST_OUTBOX, to, 5000, subject);

/** The path of the confirmation link mailed to `newEmail`. */
async function linkMailedTo(newEmail: string): Promise<string> {
  const mail = await mailWith(newEmail, LINK_SUBJECT);
  const path = /\/account\/email\/verify\/[\w-]{43}/.exec(mail.text)?.[0];
  if (!path) throw new Error(`no confirmation link in:\n${mail.text}`);
  return path;
}

/**
 * Opens the link's page in `agent`, which asks for the password of the account that asked for the
 * change; resolves to a function that sends its form with a password (any value, as a client may).
 */
async function openLinkPage(agent: Agent, link: string) {
  const page = await agent.get(link);
  expect(page.status).toBe(200);
  expect(page.text).toContain('action="/account/email/verify"');
  const fields = { _csrf: csrfFrom(page.text), token: link.split('/').pop() };
  return (password: unknown = PASSWORD) =>
    agent
      .post('/account/email/verify')
      .type('form')
      .send({ ...fields, password });
}

/** Opens the link's page and types the password there, as the person who asked does. */
const confirmWith = async (agent: Agent, link: string, password: unknown = PASSWORD) =>
  (await openLinkPage(agent, link))(password);

/** The session data of an agent's cookie, as the store reads it. */
const sessionDoc = async (agent: Agent) => {
  const sid = decodeURIComponent(sessionCookie(agent).split('=')[1]!).slice(2).split('.')[0]!;
  const session = await storedSession(testApp().store, sid);
  return session ? { session } : null;
};

describe("moving one's own account to someone else's address (pre-registration)", () => {
  it("the victim opening the link never lets the asker's password log in with the victim's address", async () => {
    const { agent, user, email } = await signedIn();
    const victim = uniqueEmail('victim');
    await askFor(agent, victim);
    const link = await linkMailedTo(victim);

    // The victim (or their mail scanner), in a browser that has never seen the shop, opens the link.
    const opened = await request.agent(app()).get(link);
    expect((await logIn(request.agent(app()), victim)).status).toBe(422);
    expect((await User.findById(user._id))?.email).toBe(email);
    expect(await User.exists({ email: victim })).toBeNull();
    // What they see asks for the password of the account that asked, and says what to do if it was not them.
    expect(opened.status).toBe(200);
    expect(opened.text).toContain('Did not ask for this?');
    expect((await mailWith(victim, LINK_SUBJECT)).text).toMatch(
      /did not ask for this\?.*ignore this mail.*nothing changes unless the password of the\s+account that asked is typed/is,
    );
  });

  it('a mail scanner opening the link twice changes nothing; the one who asked then confirms with the password', async () => {
    const { agent, user, email } = await signedIn();
    const target = uniqueEmail('scanned');
    await askFor(agent, target);
    const link = await linkMailedTo(target);

    for (let i = 0; i < 2; i += 1) expect((await request(app()).get(link)).status).toBe(200);
    expect((await User.findById(user._id))?.email).toBe(email);
    await afterResponseSettled();
    expect(await SecurityEvent.countDocuments({ userId: user._id, kind: 'email-changed' })).toBe(0);

    const confirmed = await confirmWith(request.agent(app()), link);
    expect([confirmed.status, confirmed.headers.location]).toEqual([302, '/login']);
    expect((await User.findById(user._id))?.email).toBe(target);
  });

  it('a wrong password is a 422 on the same page and changes nothing; the link still works', async () => {
    const { agent, user, email } = await signedIn();
    const target = uniqueEmail('wrong-password');
    await askFor(agent, target);
    const link = await linkMailedTo(target);
    const send = await openLinkPage(request.agent(app()), link);

    const wrong = await send(`${PASSWORD}!`);
    expect(wrong.status).toBe(422);
    expect(wrong.text).toContain('That is not the password of the account that asked for this.');
    expect(wrong.text).toContain('action="/account/email/verify"');
    const empty = await send('');
    expect(empty.status).toBe(422);
    expect(empty.text).toContain('Enter the password of the account that asked for this.');
    expect((await User.findById(user._id))?.email).toBe(email);

    expect((await send()).status).toBe(302);
    expect((await User.findById(user._id))?.email).toBe(target);
  });

  it("counts every try like a login: over the account's budget even the right password gets 429", async () => {
    const { agent, user, email } = await signedIn();
    const target = uniqueEmail('guessed');
    await askFor(agent, target);
    const link = await linkMailedTo(target);
    const guess = await openLinkPage(request.agent(app()), link);

    // LOGIN_MAX_FAILURES is 5: the sixth try is refused before the password is compared.
    for (let i = 0; i < 5; i += 1) expect((await guess(`guess number ${i}`)).status).toBe(422);
    const refused = await guess(PASSWORD);
    expect(refused.status).toBe(429);
    expect(refused.headers['retry-after']).toMatch(/^\d+$/);
    expect(refused.text).toContain('Too many attempts.');
    expect((await User.findById(user._id))?.email).toBe(email);
    // Logins to the account from strangers' browsers share that budget, as at /login.
    expect((await logIn(request.agent(app()), email)).status).toBe(429);

    // The browser that signed in to the account has a budget of its own: its owner is not locked out.
    expect((await confirmWith(agent, link)).status).toBe(302);
    expect((await User.findById(user._id))?.email).toBe(target);
  });

  it('refuses an injected or repeated password with 422 and a repeated token with 410, never a 500', async () => {
    const { agent, user, email } = await signedIn();
    const target = uniqueEmail('injected');
    await askFor(agent, target);
    const link = await linkMailedTo(target);
    const token = link.split('/').pop()!;
    const visitor = request.agent(app());
    const _csrf = csrfFrom((await visitor.get(link)).text);

    const injected = await visitor
      .post('/account/email/verify')
      .set('Content-Type', 'application/json')
      .send({ _csrf, token, password: { $gt: '' } });
    expect(injected.status).toBe(422);
    const repeated = await visitor
      .post('/account/email/verify')
      .type('form')
      .send(`_csrf=${_csrf}&token=${token}&password=a&password=b`);
    expect(repeated.status).toBe(422);
    const twoTokens = await visitor
      .post('/account/email/verify')
      .type('form')
      .send(`_csrf=${_csrf}&token=${token}&token=${token}&password=${encodeURIComponent(PASSWORD)}`);
    expect(twoTokens.status).toBe(410);
    expect((await User.findById(user._id))?.email).toBe(email);
  });
});

describe('asking to change the email', () => {
  it('refuses a malformed address with 422, keeping what was typed next to a linked error', async () => {
    const { agent } = await signedIn();
    const response = await askFor(agent, 'not an address');
    expect(response.status).toBe(422);
    expect(response.text).toContain('value="not an address"');
    expect(response.text).toMatch(/aria-describedby="email-hint email-error" aria-invalid="true"/);
    expect(response.text).toContain('<p class="field-error" id="email-error">Enter a valid email address.</p>');
  });

  it('needs the current password: none or a wrong one is a 422, and nothing is mailed', async () => {
    const { agent, user } = await signedIn();
    const target = uniqueEmail('wanted');
    const missing = await askFor(agent, target, '');
    expect(missing.status).toBe(422);
    expect(missing.text).toContain('id="email-password-error">Enter your current password.');
    const wrong = await askFor(agent, target, `${PASSWORD}!`);
    expect(wrong.status).toBe(422);
    expect(wrong.text).toContain('That is not your password.');
    expect(wrong.text).toContain(`value="${target}"`);
    await afterResponseSettled();
    expect(await mailsTo(target)).toBe(0);
    expect(await AccountToken.countDocuments({ userId: user._id, purpose: 'email-change' })).toBe(0);
  });

  it('refuses an injected object or a repeated field with 422, never a 500', async () => {
    const { agent } = await signedIn();
    const _csrf = csrfFrom((await agent.get('/account')).text);
    const injected = await agent
      .post('/account/email')
      .set('Content-Type', 'application/json')
      .send({ _csrf, email: { $gt: '' }, password: PASSWORD });
    expect(injected.status).toBe(422);
    const repeated = await agent.post('/account/email').type('form').send(`_csrf=${_csrf}&email=a@b.co&email=c@d.co`);
    expect(repeated.status).toBe(422);
  });

  it('says so when the address is already the account’s', async () => {
    const { agent, email } = await signedIn();
    const response = await askFor(agent, email.toUpperCase());
    expect(response.status).toBe(422);
    expect(response.text).toContain('That is already your address.');
  });
});

describe('changing the email through the mailed link', () => {
  it('mails a link to the new address and a notice to the old; the address changes once the password is typed on its page', async () => {
    const { agent, user, email } = await signedIn();
    const otherDevice = request.agent(app());
    await logIn(otherDevice, email);
    const target = uniqueEmail('moved');

    const asked = await askFor(agent, target);
    expect([asked.status, asked.headers.location]).toEqual([302, '/account']);
    expect((await agent.get('/account')).text).toMatch(CHECK_INBOX);

    const notice = await mailWith(email, REQUESTED_SUBJECT);
    expect(notice.text).toContain(`The new address: ${target}`);
    expect(notice.text).toMatch(/\/account\/not-me\/[\w-]{43}/);
    const link = await linkMailedTo(target);
    // Only the token's hash is stored.
    expect(await AccountToken.countDocuments({ tokenHash: link.split('/').pop() })).toBe(0);
    expect((await User.findById(user._id))?.email).toBe(email);

    const confirmed = await confirmWith(agent, link);
    expect([confirmed.status, confirmed.headers.location]).toEqual([302, '/account']);
    const page = await agent.get('/account');
    expect(page.text).toContain(`Your account’s address is now ${target}.`);
    expect(page.text).toContain(`data-testid="account-email">${target}<`);
    expect((await User.findById(user._id))?.email).toBe(target);
    // This session's copy changed with it; the other device's follows on its next request.
    expect((await sessionDoc(agent))?.session.user?.email).toBe(target);
    expect((await sessionDoc(otherDevice))?.session.user?.email).toBe(email);
    const elsewhere = await otherDevice.get('/account');
    expect(elsewhere.status).toBe(200);
    expect(elsewhere.text).toContain(`data-testid="account-email">${target}<`);
    expect((await sessionDoc(otherDevice))?.session.user?.email).toBe(target);

    const changed = await mailWith(email, CHANGED_SUBJECT);
    expect(changed.text).toContain(`The new address: ${target}`);
    expect(changed.text).toMatch(/\/account\/not-me\/[\w-]{43}/);
    await afterResponseSettled();
    expect(await SecurityEvent.countDocuments({ userId: user._id, kind: 'email-changed' })).toBe(1);
    expect((await agent.get('/account/activity')).text).toContain('Email address changed');

    // The old address no longer logs in; the new one does.
    expect((await logIn(request.agent(app()), email)).status).toBe(422);
    expect((await logIn(request.agent(app()), target)).status).toBe(302);
  });

  it('opened in a browser that is not signed in, sends it to log in with the new address', async () => {
    const { agent } = await signedIn();
    const target = uniqueEmail('phone');
    await askFor(agent, target);
    const phone = request.agent(app());
    const confirmed = await confirmWith(phone, await linkMailedTo(target));
    expect([confirmed.status, confirmed.headers.location]).toEqual([302, '/login']);
    expect((await phone.get('/login')).text).toContain(`Your account’s address is now ${target}. Log in with it.`);
  });

  it('works once: the link opened or its form sent again is a 410 and changes nothing more', async () => {
    const { agent, user } = await signedIn();
    const target = uniqueEmail('once');
    await askFor(agent, target);
    const link = await linkMailedTo(target);
    const send = await openLinkPage(agent, link);
    expect((await send()).status).toBe(302);
    const again = await agent.get(link);
    expect(again.status).toBe(410);
    expect(again.text).toContain('Address-change links work once, for 24 hours.');
    expect((await send()).status).toBe(410);
    expect((await User.findById(user._id))?.email).toBe(target);
  });

  it('expires after 24 hours', async () => {
    const { agent, user, email } = await signedIn();
    const target = uniqueEmail('late');
    await askFor(agent, target);
    const link = await linkMailedTo(target);
    const send = await openLinkPage(agent, link);
    await AccountToken.updateMany(
      { userId: user._id, purpose: 'email-change' },
      { $set: { expiresAt: new Date(Date.now() - 1000) } },
    );
    expect((await agent.get(link)).status).toBe(410);
    expect((await send()).status).toBe(410);
    expect((await User.findById(user._id))?.email).toBe(email);
  });

  it('a newer request ends the earlier link', async () => {
    const { agent, user } = await signedIn();
    const first = uniqueEmail('first');
    const second = uniqueEmail('second');
    await askFor(agent, first);
    const firstLink = await linkMailedTo(first);
    await askFor(agent, second);
    const secondLink = await linkMailedTo(second);
    expect((await agent.get(firstLink)).status).toBe(410);
    expect((await confirmWith(agent, secondLink)).status).toBe(302);
    expect((await User.findById(user._id))?.email).toBe(second);
  });

  it('refuses malformed and unknown tokens with 410, on the link and in the form', async () => {
    const visitor = request.agent(app());
    const _csrf = await csrfToken(visitor, '/login');
    for (const token of ['short', 'x'.repeat(43), '%24gt']) {
      expect((await request(app()).get(`/account/email/verify/${token}`)).status).toBe(410);
      const sent = await visitor.post('/account/email/verify').type('form').send({ _csrf, token, password: PASSWORD });
      expect(sent.status).toBe(410);
    }
  });
});

describe('an address another account has', () => {
  it('gets the same answer as a free one, and its owner gets no mail; the account is unchanged', async () => {
    const { agent, user, email } = await signedIn();
    const taken = uniqueEmail('taken');
    await createUser(taken);
    const free = uniqueEmail('free');

    const pages = [];
    for (const address of [taken, free]) {
      const answer = await askFor(agent, address);
      expect([answer.status, answer.headers.location]).toEqual([302, '/account']);
      pages.push((await agent.get('/account')).text.match(CHECK_INBOX)?.[0].replace(address, '…'));
    }
    expect(pages[0]).toBeDefined();
    expect(pages[0]).toBe(pages[1]);

    // The old address hears about both requests; the taken one about neither.
    await waitForMailsWithSubject(email, REQUESTED_SUBJECT, 2);
    await linkMailedTo(free);
    await afterResponseSettled();
    expect(await mailsTo(taken)).toBe(0);
    expect(await mailsTo(email)).toBe(2);
    expect((await User.findById(user._id))?.email).toBe(email);
  });
});

describe('racing confirmations', () => {
  it('the same link confirmed three times at once: one changes the address, the others are a 410', async () => {
    const { agent, user } = await signedIn();
    const target = uniqueEmail('race');
    await askFor(agent, target);
    const link = await linkMailedTo(target);
    const forms = await Promise.all([1, 2, 3].map(() => openLinkPage(request.agent(app()), link)));
    const answers = await Promise.all(forms.map((send) => send()));
    expect(answers.map((answer) => answer.status).sort()).toEqual([302, 410, 410]);
    expect((await User.findById(user._id))?.email).toBe(target);
    await afterResponseSettled();
    expect(await SecurityEvent.countDocuments({ userId: user._id, kind: 'email-changed' })).toBe(1);
  });

  it('two links of one account at once: one wins, the other finds the address changed (409)', async () => {
    const { user, email } = await signedIn();
    const targets = [uniqueEmail('left'), uniqueEmail('right')];
    const tokens = await Promise.all(
      targets.map((newEmail) => issueToken(user._id, 'email-change', 60_000, { newEmail, oldEmail: email })),
    );
    const forms = await Promise.all(
      tokens.map((token) => openLinkPage(request.agent(app()), `/account/email/verify/${token}`)),
    );
    const answers = await Promise.all(forms.map((send) => send()));
    expect(answers.map((answer) => answer.status).sort()).toEqual([302, 409]);
    const loser = answers.find((answer) => answer.status === 409)!;
    expect(loser.text).toContain('The account’s address changed after this link was sent');
    expect(targets).toContain((await User.findById(user._id))?.email);
  });

  it('two accounts moving to one address at once: one gets it, the other a clear 409 (the unique index), never a 500', async () => {
    const target = uniqueEmail('wanted-by-two');
    const movers = [await signedIn(), await signedIn()];
    for (const { agent } of movers) await askFor(agent, target);
    // Both asked while the address was free: two links went to it.
    const mails = await waitForMailsWithSubject(target, LINK_SUBJECT, 2);
    const links = mails.map((text) => /\/account\/email\/verify\/[\w-]{43}/.exec(text)![0]);
    const forms = await Promise.all(links.map((link) => openLinkPage(request.agent(app()), link)));
    const answers = await Promise.all(forms.map((send) => send()));
    expect(answers.map((answer) => answer.status).sort()).toEqual([302, 409]);
    expect(answers.find((answer) => answer.status === 409)!.text).toContain(
      'That address now belongs to another account, so your address was not changed.',
    );
    const owners = await User.find({ email: target });
    expect(owners).toHaveLength(1);
    const kept = movers.find(({ user }) => user._id.toString() !== owners[0]!._id.toString())!;
    expect((await User.findById(kept.user._id))?.email).toBe(kept.email);
  });
});

describe('“this wasn’t me” on the mail about the change', () => {
  it('gives the account its old address back, signs out everywhere and mails the reset link there', async () => {
    const { agent, user, email } = await signedIn();
    const target = uniqueEmail('hijack');
    await askFor(agent, target);
    expect((await confirmWith(agent, await linkMailedTo(target))).status).toBe(302);
    const changed = await mailWith(email, CHANGED_SUBJECT);
    const notMe = /\/account\/not-me\/[\w-]{43}/.exec(changed.text)![0];

    const owner = request.agent(app());
    const page = await owner.get(notMe);
    expect(page.status).toBe(200);
    const done = await owner
      .post('/account/not-me')
      .type('form')
      .send({ _csrf: csrfFrom(page.text), token: notMe.split('/').pop() });
    expect(done.status).toBe(200);

    expect((await User.findById(user._id))?.email).toBe(email);
    expect((await agent.get('/account')).headers.location).toBe('/login');
    const reset = await mailWith(email, 'Reset your Fernhill Goods password');
    expect(reset.text).toMatch(/\/reset\/[\w-]{43}/);
    expect(await mailsTo(target)).toBe(1);
  });

  it('on the notice of a request, ends the pending link', async () => {
    const { agent, user, email } = await signedIn();
    const target = uniqueEmail('pending');
    await askFor(agent, target);
    const link = await linkMailedTo(target);
    const notice = await mailWith(email, REQUESTED_SUBJECT);
    const token = /\/account\/not-me\/([\w-]{43})/.exec(notice.text)![1];
    const owner = request.agent(app());
    const page = await owner.get(`/account/not-me/${token}`);
    await owner
      .post('/account/not-me')
      .type('form')
      .send({ _csrf: csrfFrom(page.text), token })
      .expect(200);
    expect((await request(app()).get(link)).status).toBe(410);
    expect((await User.findById(user._id))?.email).toBe(email);
  });
});

/** The texts of the mails to `to` with `subject`, once there are `count`. */
async function waitForMailsWithSubject(to: string, subject: string, count: number): Promise<string[]> {
  const mails = await waitFor(`${count} mails "${subject}" to ${to}`, async () => {
    const found = (await outboxMails(TEST_OUTBOX, to)).filter((mail) => mail.subject === subject && mail.text);
    return found.length >= count ? found : undefined;
  });
  return mails.map((mail) => mail.text);
}
