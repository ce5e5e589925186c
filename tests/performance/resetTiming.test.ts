import request from 'supertest';
import { createUser, csrfToken, uniqueEmail } from '../helpers/http';
import { buildApp, useTestApp } from '../helpers/testApp';
import { median, timed } from '../helpers/timing';

const testApp = useTestApp();

it('takes as long to answer a password reset for an unknown email as for a known one', async () => {
  // A slow mail server: were the mail sent before answering, a known email would take 300 ms longer.
  const slowMail = async () => new Promise<void>((resolve) => setTimeout(resolve, 300));
  const instance = await buildApp(testApp().uri, {}, undefined, { sendMail: slowMail });
  const known = uniqueEmail();
  await createUser(known);
  const timedReset = async (email: string) => {
    const agent = request.agent(instance.app);
    const _csrf = await csrfToken(agent, '/reset');
    return (await timed(() => agent.post('/reset').type('form').send({ _csrf, email }).expect(302))).ms;
  };
  const forKnown: number[] = [];
  const forUnknown: number[] = [];
  try {
    // Both paths once unmeasured (the first reset creates the token collection), as when this test
    // ran after the other reset tests.
    await timedReset(known);
    await timedReset(uniqueEmail('nobody'));
    for (let i = 0; i < 7; i += 1) {
      forKnown.push(await timedReset(known));
      forUnknown.push(await timedReset(uniqueEmail('nobody')));
    }
  } finally {
    await instance.close();
  }
  // Generous bounds for a busy 2-core machine: awaiting the mail would give about 0.2.
  const ratio = median(forUnknown) / median(forKnown);
  expect(ratio).toBeGreaterThan(0.5);
  expect(ratio).toBeLessThan(2);
});
