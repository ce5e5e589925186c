import type autocannon from 'autocannon';
import { issueDeviceCookie } from '../src/auth/deviceCookie';
import { csrfIn } from '../support/csrf';
import { benchConfig, PROXY_HEADERS } from './benchConfig';
import { formBody, type Login } from './client';
import { headerOf, type Responses, type Expected } from './responses';

export const SCENARIOS = {
  S0: 'GET /healthz',
  S1: 'anonymous GET /products',
  S2: 'logged-in GET /products',
  S3: 'logged-in POST /cart',
  S4: 'login (GET /login, POST /login)',
  S5: 'mix: 18 S2, 1 S1, 1 S4 per round',
} as const;
export type ScenarioId = keyof typeof SCENARIOS;

export interface Credentials {
  email: string;
  password: string;
}

export interface ScenarioInput {
  /** One logged-in session per connection (S2, S3, S5). */
  logins: Login[];
  /**
   * Whom each connection logs in as (S4, S5): other users than those of `logins`, whose sessions
   * the per-user cap (MAX_SESSIONS_PER_USER) would otherwise end under a stream of logins.
   */
  credentials: Credentials[];
}

/** autocannon's options, and the path to request (autocannon takes it as part of the url). */
export type Options = Partial<autocannon.Options> & { path?: string };
/** The client autocannon hands to `setupClient` (the typings lag behind the library here). */
type Client = Parameters<NonNullable<autocannon.Options['setupClient']>>[0];
type Request = autocannon.Request;
type Headers = Record<string, string>;

/** A scenario ready to run: autocannon options whose every response is checked into `responses`. */
export interface Load {
  scenario: ScenarioId;
  options(responses: Responses): Options;
  /**
   * The request a scenario counts (a login: its POST); its rate and latency are the matched answers
   * to it. Otherwise every response counts.
   */
  unit?: string;
}

/** What one round of a connection's requests carries from one answer to the next request. */
interface Round {
  csrf?: string;
  cookies?: string[];
  sentAt?: number;
}

/** One request of a connection's round, with what its answer must be. */
interface Step {
  method: 'GET' | 'POST';
  path: string;
  expected: Expected;
  headers: Headers;
  /** The page must contain this (e.g. the user's email on a logged-in page). */
  contains?: string;
  /** Built before each send from what the round's earlier answers left (the login form's token). */
  build?: (round: Round) => { headers: Headers; body?: string };
  /** Reads the answer into the round (the token and cookies of the login form). */
  read?: (round: Round, body: string, headers: Record<string, string | string[]>) => void;
  /** Times this request (the login's POST): its latency is the scenario's. */
  timed?: boolean;
}

const FORM = { 'content-type': 'application/x-www-form-urlencoded' } as const;
const expect200 = (request: string): Expected => ({ request, status: 200 });

/** autocannon's request for a step; its answer is recorded against the step's expectation. */
function requestOf(step: Step, responses: Responses): Request {
  const record = responses.expect(step.expected);
  // autocannon gives each connection a context object of its own, reset at every round.
  const roundOf = (context: object) => context as Round;
  return {
    method: step.method,
    path: step.path,
    headers: step.headers,
    setupRequest: (req: Request, context: object) => {
      const round = roundOf(context);
      if (step.timed) round.sentAt = performance.now();
      return step.build ? { ...req, ...step.build(round) } : { ...req, headers: step.headers };
    },
    onResponse: (status: number, body: string, context: object, headers: Record<string, string | string[]>) => {
      const round = roundOf(context);
      step.read?.(round, body, headers);
      const ms = step.timed && round.sentAt !== undefined ? performance.now() - round.sentAt : undefined;
      const location = headerOf(headers, 'location')[0];
      // A page that is not the one asked for (a logged-out one) is answered as "200 without …".
      const wrongPage =
        status === 200 && step.contains !== undefined && !body.includes(step.contains)
          ? `200 without “${step.contains}” (not logged in)`
          : undefined;
      record(status, location, ms, wrongPage);
    },
  } as Request;
}

/** Gives each new connection the next item, round-robin. */
function roundRobin<T>(items: T[]): () => T {
  if (items.length === 0) throw new Error('nothing to hand out');
  let next = 0;
  return () => items[next++ % items.length]!;
}

/** Each connection its own list of requests, built from the next item (a login, a user). */
function perConnection<T>(items: T[], steps: (item: T) => Step[]): Load['options'] {
  return (responses) => {
    const next = roundRobin(items);
    return {
      // Replaced per connection in setupClient; autocannon builds this one first.
      requests: [{ method: 'GET', path: '/healthz', headers: { ...PROXY_HEADERS } }],
      setupClient: (client: Client) => client.setRequests(steps(next()).map((step) => requestOf(step, responses))),
    };
  };
}

const LOGIN_POST = 'POST /login';

/**
 * A login as a browser makes it: GET /login, which sets the CSRF cookie and puts its token in the
 * form, then the form posted with that token and cookie. The browser is a returning customer's: it
 * carries the device cookie of an earlier login (so no "new sign-in" mail goes out) and no session.
 */
function loginSteps(c: Credentials, deviceCookie: string): Step[] {
  return [
    {
      method: 'GET',
      path: '/login',
      expected: expect200('GET /login'),
      headers: { ...PROXY_HEADERS, cookie: deviceCookie },
      read: (round, body, headers) => {
        round.csrf = csrfIn(body);
        round.cookies = headerOf(headers, 'set-cookie').map((line) => line.split(';')[0]!);
      },
    },
    {
      method: 'POST',
      path: '/login',
      expected: { request: LOGIN_POST, status: 302, location: '/' },
      headers: { ...PROXY_HEADERS },
      timed: true,
      build: (round) => ({
        headers: {
          ...PROXY_HEADERS,
          ...FORM,
          'sec-fetch-site': 'same-origin',
          cookie: [deviceCookie, ...(round.cookies ?? [])].join('; '),
        },
        body: formBody({ _csrf: round.csrf ?? '', email: c.email, password: c.password }),
      }),
    },
  ];
}

/** The device cookie the shop gave a browser `email` logged in with (as `name=value`). */
function deviceCookieOf(email: string): string {
  const config = benchConfig();
  return `${config.deviceCookieName}=${issueDeviceCookie(email, config.SESSION_SECRET)}`;
}

const loggedInPage = (l: Login): Step => ({
  method: 'GET',
  path: '/products',
  expected: expect200('GET /products (logged in)'),
  headers: { ...PROXY_HEADERS, cookie: l.cookie },
  contains: l.email,
});

const anonymousPage: Step = {
  method: 'GET',
  path: '/products',
  expected: expect200('GET /products'),
  headers: { ...PROXY_HEADERS },
};

/** The scenario `id`, each response checked against what it must be. */
export function scenarioLoad(id: ScenarioId, input: ScenarioInput): Load {
  switch (id) {
    case 'S0':
      return {
        scenario: id,
        options: perConnection([0], () => [
          { method: 'GET', path: '/healthz', expected: expect200('GET /healthz'), headers: { ...PROXY_HEADERS } },
        ]),
      };
    case 'S1':
      return { scenario: id, options: perConnection([0], () => [anonymousPage]) };
    case 'S2':
      return { scenario: id, options: perConnection(input.logins, (l) => [loggedInPage(l)]) };
    case 'S3':
      return {
        scenario: id,
        options: perConnection(input.logins, (l) => [
          {
            method: 'POST',
            path: '/cart',
            // No returnTo: back to the cart, with the confirmation.
            expected: { request: 'POST /cart', status: 302, location: '/cart' },
            headers: { ...PROXY_HEADERS, ...FORM, cookie: l.cookie },
            build: () => ({
              headers: { ...PROXY_HEADERS, ...FORM, cookie: l.cookie },
              body: formBody({ _csrf: l.csrf, productId: l.productId }),
            }),
          },
        ]),
      };
    case 'S4':
      return {
        scenario: id,
        unit: LOGIN_POST,
        options: perConnection(input.credentials, (c) => loginSteps(c, deviceCookieOf(c.email))),
      };
    case 'S5':
      return { scenario: id, options: mix(input) };
  }
}

/**
 * S5: each connection repeats 20 page views: 18 logged-in pages (its cookie), one anonymous page
 * and one login (GET /login and its POST, as another user, without the session cookie).
 */
function mix(input: ScenarioInput): Load['options'] {
  const credentials = roundRobin(input.credentials);
  return perConnection(input.logins, (l) => {
    const c = credentials();
    const page = loggedInPage(l);
    return [
      ...Array.from({ length: 9 }, () => page),
      anonymousPage,
      ...Array.from({ length: 9 }, () => page),
      ...loginSteps(c, deviceCookieOf(c.email)),
    ];
  });
}
