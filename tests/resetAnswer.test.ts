import request from 'supertest';
import type { Mail, SendMail } from '../src/lib/mailer';
import { waitFor } from '../support/waitFor';
import { createUser, csrfToken, uniqueEmail } from './helpers/http';
import { buildApp, useTestApp } from './helpers/testApp';

const testApp = useTestApp();

/**
 * A mail server that accepts nothing until the test lets it: were the reset link sent before the
 * answer, a known email would keep the form waiting and so tell that it has an account.
 */
function heldMail() {
  const sent: Mail[] = [];
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  const sendMail: SendMail = async (message) => {
    await released;
    sent.push(message);
  };
  return { sendMail, sent, release };
}

it('answers a password reset for a known email before the mail server has taken the link', async () => {
  const mail = heldMail();
  const instance = await buildApp(testApp().uri, {}, undefined, { sendMail: mail.sendMail });
  try {
    const known = uniqueEmail();
    await createUser(known);
    const agent = request.agent(instance.app);
    const _csrf = await csrfToken(agent, '/reset');
    // Mail servers answer within seconds: an answer still waiting after 5 s waits for the mail.
    const answer = await agent.post('/reset').timeout(5_000).type('form').send({ _csrf, email: known });
    expect(answer.status).toBe(302);
    expect(answer.headers.location).toBe('/login');
    expect(mail.sent).toEqual([]);

    mail.release();
    const [link] = await waitFor('the reset link', async () => (mail.sent.length > 0 ? mail.sent : undefined));
    expect(link).toMatchObject({ to: known, text: expect.stringMatching(/\/reset\/\S+/) });
  } finally {
    mail.release();
    await instance.close();
  }
});
