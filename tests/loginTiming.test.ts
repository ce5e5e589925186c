import request from 'supertest';
import { PASSWORD, createUser, csrfFrom, uniqueEmail } from './helpers/http';
import { useTestApp } from './helpers/testApp';

// A cost high enough that skipping the hash comparison for unknown emails would show clearly.
const COST = 10;
// Many failures on one account are the point here, so the account limit is out of the way.
const testApp = useTestApp({ BCRYPT_COST: String(COST), LOGIN_MAX_FAILURES: '1000' });

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

async function timedLogin(email: string, password: string): Promise<number> {
  const agent = request.agent(testApp().app);
  const _csrf = csrfFrom((await agent.get('/login')).text);
  const started = process.hrtime.bigint();
  const response = await agent.post('/login').type('form').send({ _csrf, email, password });
  const elapsed = Number(process.hrtime.bigint() - started) / 1e6;
  expect(response.status).toBe(422);
  return elapsed;
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
