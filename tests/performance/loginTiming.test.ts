import request from 'supertest';
import { PASSWORD, createUser, csrfFrom, uniqueEmail } from '../helpers/http';
import { useTestApp } from '../helpers/testApp';
import { median, timed } from '../helpers/timing';

// A cost high enough that skipping the hash comparison for unknown emails would show clearly.
const COST = 10;
// Many failures on one account are the point here, so the account limit is out of the way.
const testApp = useTestApp({ BCRYPT_COST: String(COST), LOGIN_MAX_FAILURES: '1000' });

async function timedLogin(email: string, password: string): Promise<number> {
  const agent = request.agent(testApp().app);
  const _csrf = csrfFrom((await agent.get('/login')).text);
  const { result: response, ms } = await timed(() =>
    agent.post('/login').type('form').send({ _csrf, email, password }),
  );
  expect(response.status).toBe(422);
  return ms;
}

it('takes as long to refuse an unknown email as a wrong password', async () => {
  const email = uniqueEmail();
  await createUser(email, PASSWORD, COST);
  await timedLogin(email, 'warm up the dummy hash');
  await timedLogin(uniqueEmail('nobody'), 'warm up the dummy hash');

  const wrongPassword: number[] = [];
  const unknownEmail: number[] = [];
  for (let i = 0; i < 10; i += 1) {
    wrongPassword.push(await timedLogin(email, `wrong password ${i}`));
    unknownEmail.push(await timedLogin(uniqueEmail('nobody'), `wrong password ${i}`));
  }

  // Generous bounds for a busy 2-core machine: without the dummy comparison the ratio is about 0.1.
  const ratio = median(unknownEmail) / median(wrongPassword);
  expect(ratio).toBeGreaterThan(0.5);
  expect(ratio).toBeLessThan(2);
});
