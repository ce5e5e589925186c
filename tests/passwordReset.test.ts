import mongoose from 'mongoose';
import request from 'supertest';
import * as passwords from '../src/lib/passwords';
import { PasswordReset } from '../src/models/PasswordReset';
import { PASSWORD, createUser, csrfFrom, csrfToken, logIn, loggedInAgent, uniqueEmail } from './helpers/http';
import { mailsTo, resetPathIn, waitForMail } from './helpers/outbox';
import { storedUserKey, useTestApp } from './helpers/testApp';
import { csrfIn } from '../support/csrf';

const testApp = useTestApp();
const app = () => testApp().app;
const NEW_PASSWORD = 'a brand new password 2026';

async function requestReset(email: string) {
  const agent = request.agent(app());
  const _csrf = await csrfToken(agent, '/reset');
  return agent.post('/reset').type('form').send({ _csrf, email });
}

async function setNewPassword(path: string, password = NEW_PASSWORD, confirmPassword = password) {
  const agent = request.agent(app());
  const page = await agent.get(path);
  const token = path.split('/').pop();
  const _csrf = csrfIn(page.text) ?? (await csrfToken(agent, '/reset'));
  return agent.post('/new-password').type('form').send({ _csrf, passwordToken: token, password, confirmPassword });
}

/** Makes `hashPassword` answer only once `count` hashes are ready, all at once. */
function together(count: number) {
  const hash = passwords.hashPassword;
  const waiting: Array<() => void> = [];
  return jest.spyOn(passwords, 'hashPassword').mockImplementation(async (password, cost) => {
    const hashed = await hash(password, cost);
    await new Promise<void>((resolve) => {
      waiting.push(resolve);
      if (waiting.length === count) for (const release of waiting) release();
    });
    return hashed;
  });
}

describe('password reset', () => {
  it('mails a single-use link that sets a new password', async () => {
    const email = uniqueEmail();
    await createUser(email);
    await requestReset(email);
    const mail = await waitForMail(email);
    const link = resetPathIn(mail);
    expect(mail).toContain('http://localhost:3000/reset/');

    const form = await request(app()).get(link);
    expect(form.status).toBe(200);
    expect(form.text).toContain('Choose a new password');

    const done = await setNewPassword(link);
    expect(done.headers.location).toBe('/login');
    expect((await logIn(request.agent(app()), email, NEW_PASSWORD)).status).toBe(302);
    expect((await logIn(request.agent(app()), email, PASSWORD)).status).toBe(422);

    // Used once: the link now shows the friendly page, and cannot be used again.
    const again = await request(app()).get(link);
    expect(again.status).toBe(410);
    expect(again.text).toContain('expired or was already used');
    expect((await setNewPassword(link, 'yet another password 99')).status).toBe(410);
  });

  it('sets the password exactly once when one link is used 10 times at once', async () => {
    const email = uniqueEmail();
    await createUser(email);
    await requestReset(email);
    const link = resetPathIn(await waitForMail(email));
    const passwords = Array.from({ length: 10 }, (_, i) => `racing new password ${i}`);
    // Ten browsers with the form open, submitting at the same moment.
    const forms = await Promise.all(
      passwords.map(async () => {
        const agent = request.agent(app());
        const _csrf = csrfFrom((await agent.get(link)).text);
        return { agent, _csrf };
      }),
    );
    const passwordToken = link.split('/').pop();
    // Hashing runs one at a time on this machine's single worker thread, which would stagger the
    // ten requests; held until all ten have a hash, they reach the token at the same moment.
    const hashes = together(passwords.length);
    const responses = await Promise.all(
      forms.map(({ agent, _csrf }, i) =>
        agent
          .post('/new-password')
          .type('form')
          .send({ _csrf, passwordToken, password: passwords[i], confirmPassword: passwords[i] }),
      ),
    );

    const accepted = passwords.filter((_, i) => responses[i]!.headers.location === '/login');
    expect(accepted).toHaveLength(1);
    expect(responses.filter((response) => response.status === 410)).toHaveLength(9);
    expect((await logIn(request.agent(app()), email, accepted[0])).status).toBe(302);
    hashes.mockRestore();
  });

  it('stores only a hash of the token', async () => {
    const email = uniqueEmail();
    const user = await createUser(email);
    await requestReset(email);
    const token = resetPathIn(await waitForMail(email))
      .split('/')
      .pop()!;
    const stored = await PasswordReset.findOne({ userId: user._id }).lean();
    expect(stored?.tokenHash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(stored)).not.toContain(token);
  });

  it('gives the same answer for an unknown email, and mails nobody', async () => {
    const known = uniqueEmail();
    await createUser(known);
    const unknown = uniqueEmail('nobody');
    const forKnown = await requestReset(known);
    const forUnknown = await requestReset(unknown);

    expect(forUnknown.status).toBe(forKnown.status);
    expect(forUnknown.headers.location).toBe(forKnown.headers.location);
    await waitForMail(known);
    expect(await mailsTo(unknown)).toBe(0);
  });

  it('refuses an expired link with the friendly page', async () => {
    const email = uniqueEmail();
    const user = await createUser(email);
    await requestReset(email);
    const link = resetPathIn(await waitForMail(email));
    await PasswordReset.updateOne({ userId: user._id }, { expiresAt: new Date(Date.now() - 1000) });

    expect((await request(app()).get(link)).status).toBe(410);
    expect((await setNewPassword(link)).status).toBe(410);
  });

  it.each(['not-a-token', 'x'.repeat(43), '%24ne'])('shows the friendly page for %s, never a 500', async (token) => {
    const response = await request(app()).get(`/reset/${token}`);
    expect(response.status).toBe(410);
  });

  it('validates the new password like signup', async () => {
    const email = uniqueEmail();
    await createUser(email);
    await requestReset(email);
    const link = resetPathIn(await waitForMail(email));
    const short = await setNewPassword(link, 'short');
    expect(short.status).toBe(422);
    expect(short.text).toContain('at least 15 characters');
    const mismatch = await setNewPassword(link, NEW_PASSWORD, `${NEW_PASSWORD}!`);
    expect(mismatch.status).toBe(422);
    expect(mismatch.text).toContain('do not match');
  });

  it('signs the user out everywhere', async () => {
    const email = uniqueEmail();
    const { agent, user } = await loggedInAgent(app(), email);
    await agent.get('/account').expect(200);
    await requestReset(email);
    await setNewPassword(resetPathIn(await waitForMail(email)));

    const account = await agent.get('/account');
    expect(account.headers.location).toBe('/login');
    const sessions = mongoose.connection.collection('sessions');
    expect(await sessions.countDocuments({ user: storedUserKey(user.id as string) })).toBe(0);
  });
});
