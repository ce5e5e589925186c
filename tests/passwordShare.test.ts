import request from 'supertest';
import * as passwords from '../src/lib/passwords';
import { WAITING_PER_RUNNING } from '../src/middleware/passwordShare';
import { createUser, csrfToken, uniqueEmail } from './helpers/http';
import { buildApp, useTestApp, type TestApp } from './helpers/testApp';
import { waitFor } from '../support/waitFor';

const testApp = useTestApp();
// Every test request comes from 127.0.0.1, so the suite's apps lift this limit; this one keeps it.
const PASSWORD_CHECKS_AT_ONCE = 2;
const PASSWORD_CHECKS_WAITING = PASSWORD_CHECKS_AT_ONCE * WAITING_PER_RUNNING;
let shared: TestApp;
beforeAll(async () => {
  shared = await buildApp(testApp().uri, { PASSWORD_CHECKS_PER_NETWORK: String(PASSWORD_CHECKS_AT_ONCE) });
});
afterAll(() => shared.close());
afterEach(() => jest.restoreAllMocks());

it('runs at most two password checks at once for one network; eight more wait, the rest get 429', async () => {
  // Every comparison is held until the test lets them all go, and counted meanwhile.
  let running = 0;
  let most = 0;
  let letGo!: () => void;
  const released = new Promise<void>((resolve) => (letGo = resolve));
  const compare = passwords.verifyPassword;
  jest.spyOn(passwords, 'verifyPassword').mockImplementation(async (password, hash) => {
    running += 1;
    most = Math.max(most, running);
    await released;
    running -= 1;
    return compare(password, hash);
  });

  const agent = request.agent(shared.app);
  const _csrf = await csrfToken(agent, '/login');
  const attempts = 14;
  // Accounts of their own, so that no account's failure budget is what refuses them.
  const emails = await Promise.all(
    Array.from({ length: attempts }, async (_, i) => (await createUser(uniqueEmail(`share-${i}`))).email),
  );
  const statuses: number[] = [];
  const logins = emails.map((email) =>
    agent
      .post('/login')
      .type('form')
      .send({ _csrf, email, password: 'a wrong password of some length' })
      .then((response) => statuses.push(response.status)),
  );
  const refused = attempts - PASSWORD_CHECKS_AT_ONCE - PASSWORD_CHECKS_WAITING;
  await waitFor('the checks beyond the share to be refused', async () => statuses.length === refused);
  await waitFor('the share to be running', async () => running === PASSWORD_CHECKS_AT_ONCE);
  expect(statuses).toEqual(Array<number>(refused).fill(429));
  letGo();
  await Promise.all(logins);
  expect(most).toBe(PASSWORD_CHECKS_AT_ONCE);
  expect(statuses.filter((status) => status === 422)).toHaveLength(PASSWORD_CHECKS_AT_ONCE + PASSWORD_CHECKS_WAITING);
});
