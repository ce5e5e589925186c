import type autocannon from 'autocannon';
import { PROXY_HEADERS } from './benchConfig';
import { formBody, type Login } from './client';

export const SCENARIOS = {
  S0: 'GET /healthz',
  S1: 'anonymous GET /products',
  S2: 'logged-in GET /products',
  S3: 'logged-in POST /cart',
  S4: 'POST /login',
  S5: 'mix: 90% S2, 5% S1, 5% S4',
} as const;
export type ScenarioId = keyof typeof SCENARIOS;

export interface Credentials {
  email: string;
  password: string;
}

export interface ScenarioInput {
  /** One logged-in session per connection (S2, S3, S5). */
  logins: Login[];
  /** Whom each connection logs in as (S4, S5). */
  credentials: Credentials[];
}

/** autocannon's options, and the path to request (autocannon takes it as part of the url). */
export type Options = Partial<autocannon.Options> & { path?: string };
/** The client autocannon hands to `setupClient` (the typings lag behind the library here). */
type Client = Parameters<NonNullable<autocannon.Options['setupClient']>>[0];

const FORM = { 'content-type': 'application/x-www-form-urlencoded' } as const;
/**
 * A login form posted by a browser that has no session yet: the app lets a same-origin post through
 * without a CSRF token only then (see src/middleware/csrf.ts), so one request is one login.
 */
const LOGIN_HEADERS = { ...PROXY_HEADERS, ...FORM, 'sec-fetch-site': 'same-origin' } as const;

/** Gives each new connection the next item, round-robin. */
function roundRobin<T>(items: T[]): () => T {
  if (items.length === 0) throw new Error('nothing to hand out');
  let next = 0;
  return () => items[next++ % items.length]!;
}

const loginBody = (c: Credentials) => formBody({ email: c.email, password: c.password });

/** autocannon options (beyond url, connections, duration) for one scenario. */
export function scenarioOptions(id: ScenarioId, input: ScenarioInput): Options {
  const headers = { ...PROXY_HEADERS };
  switch (id) {
    case 'S0':
      return { path: '/healthz', headers };
    case 'S1':
      return { path: '/products', headers };
    case 'S2': {
      const login = roundRobin(input.logins);
      return {
        path: '/products',
        headers,
        setupClient: (client: Client) => client.setHeaders({ ...headers, cookie: login().cookie }),
      };
    }
    case 'S3': {
      const login = roundRobin(input.logins);
      return {
        method: 'POST',
        path: '/cart',
        setupClient: (client: Client) => {
          const l = login();
          client.setHeadersAndBody(
            { ...headers, ...FORM, cookie: l.cookie },
            formBody({ _csrf: l.csrf, productId: l.productId }),
          );
        },
      };
    }
    case 'S4': {
      const credentials = roundRobin(input.credentials);
      return {
        method: 'POST',
        path: '/login',
        setupClient: (client: Client) => client.setHeadersAndBody({ ...LOGIN_HEADERS }, loginBody(credentials())),
      };
    }
    case 'S5':
      return mix(input);
  }
}

/**
 * S5: each connection repeats 20 requests: 18 logged-in pages (its cookie), one anonymous page
 * and one login. Every request has a setupRequest, so autocannon builds each with the connection's
 * headers set in setupClient; the anonymous ones drop the cookie.
 */
function mix(input: ScenarioInput): Options {
  const login = roundRobin(input.logins);
  const fallback = input.credentials[0]!;
  const credentialsOf = new Map(
    input.logins.map((l) => [l.cookie, input.credentials.find((c) => c.email === l.email) ?? fallback]),
  );
  type Request = autocannon.Request;
  const loggedIn: Request = { method: 'GET', path: '/products', setupRequest: (req: Request) => req };
  const anonymous: Request = {
    method: 'GET',
    path: '/products',
    setupRequest: (req: Request) => ({ ...req, headers: { ...PROXY_HEADERS } }),
  };
  const logInAgain: Request = {
    method: 'POST',
    path: '/login',
    setupRequest: (req: Request) => {
      const credentials = credentialsOf.get(req.headers?.cookie ?? '') ?? fallback;
      return { ...req, headers: { ...LOGIN_HEADERS }, body: loginBody(credentials) };
    },
  };
  const requests = [
    ...Array.from({ length: 9 }, () => loggedIn),
    anonymous,
    ...Array.from({ length: 9 }, () => loggedIn),
    logInAgain,
  ];
  return {
    requests,
    setupClient: (client: Client) => client.setHeaders({ ...PROXY_HEADERS, cookie: login().cookie }),
  };
}
