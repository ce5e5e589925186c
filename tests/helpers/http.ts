import type { Express } from 'express';
import request from 'supertest';
import type TestAgent from 'supertest/lib/agent';
import { User, type Role } from '../../src/models/User';
import { hashPassword } from '../../src/lib/passwords';
import { csrfFrom } from '../../support/csrf';
import { PASSWORD, uniqueEmail } from '../../support/shopFlows';

export type Agent = TestAgent;
export { csrfFrom, PASSWORD, uniqueEmail };

/** Fetches a page and returns the CSRF token of its form (creating the session that holds it). */
export async function csrfToken(agent: Agent, path = '/login'): Promise<string> {
  const page = await agent.get(path).expect(200);
  return csrfFrom(page.text);
}

/** Creates a user directly in the database (faster than the signup form): a customer unless said. */
export async function createUser(email = uniqueEmail(), password = PASSWORD, cost = 4, role: Role = 'customer') {
  return User.create({ email, password: await hashPassword(password, cost), role });
}

/** A fresh agent logged in as a newly created admin. */
export const loggedInAdmin = (app: Express) => loggedInAgent(app, uniqueEmail('admin'), 'admin');

export async function logIn(agent: Agent, email: string, password = PASSWORD) {
  const _csrf = await csrfToken(agent, '/login');
  return agent.post('/login').type('form').send({ _csrf, email, password });
}

/** A fresh browser (its own cookie jar) signed in to the existing account `email`, remembered ("remember me") if asked. */
export async function browserSignedInTo(app: Express, email: string, { remember = false } = {}): Promise<Agent> {
  const agent = request.agent(app);
  const _csrf = await csrfToken(agent, '/login');
  const fields = { _csrf, email, password: PASSWORD, ...(remember ? { remember: 'on' } : {}) };
  await agent.post('/login').type('form').send(fields).expect(302);
  return agent;
}

/** Whether the browser's next request is anonymous (an account page sends it to the login). */
export async function isSignedOut(agent: Agent): Promise<boolean> {
  const response = await agent.get('/account');
  return response.status === 302 && response.headers.location === '/login';
}

/** A fresh agent (its own cookie jar) that is logged in as a newly created user (a customer unless said). */
export async function loggedInAgent(app: Express, email = uniqueEmail(), role: Role = 'customer') {
  const agent = request.agent(app);
  const user = await createUser(email, PASSWORD, 4, role);
  const response = await logIn(agent, email);
  if (response.status !== 302) throw new Error(`login failed with ${response.status}`);
  return { agent, user, email };
}

/** The session id inside a signed cookie header value such as `shop.sid=s%3A<sid>.<sig>; Path=/`. */
export function sessionIdFrom(setCookie: string[] | string | undefined, name = 'shop.sid'): string | undefined {
  const cookies = Array.isArray(setCookie) ? setCookie : setCookie ? [setCookie] : [];
  const cookie = cookies.find((c) => c.startsWith(`${name}=`));
  if (!cookie) return undefined;
  const value = decodeURIComponent(cookie.slice(name.length + 1).split(';')[0] ?? '');
  return value.startsWith('s:') ? value.slice(2, value.lastIndexOf('.')) : undefined;
}

/** The agent's session cookie as a `Cookie` header value, to replay it against another instance. */
export function sessionCookie(agent: Agent, name = 'shop.sid'): string {
  const cookie = agent.jar.getCookie(name, { domain: '127.0.0.1', path: '/', secure: false, script: false });
  if (!cookie) throw new Error('the agent holds no session cookie');
  return `${name}=${cookie.value}`;
}
