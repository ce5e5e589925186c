import { PROXY_HEADERS } from './benchConfig';
import { csrfFrom } from '../support/csrf';
import { logIn as logInThroughTheForm } from '../support/shopFlows';
import { WebClient } from '../support/webClient';

/** The production cookie name (NODE_ENV=production prefixes `__Host-`). */
export const COOKIE_NAME = '__Host-shop.sid';

/** A connection's login: its session cookie, the CSRF token of that session, a product to add. */
export interface Login {
  email: string;
  cookie: string;
  csrf: string;
  productId: string;
}

export interface Page {
  status: number;
  html: string;
  /** `name=value` of the session cookie this response set, if it set one. */
  setCookie?: string;
  location?: string;
}

/** A visitor as a browser behind the TLS proxy: every request says it came over HTTPS. */
const behindTheProxy = (base: string) => new WebClient(base, { agent: false, headers: PROXY_HEADERS });

/** One request as a browser behind the TLS proxy would send it; redirects are not followed. */
export async function request(
  base: string,
  path: string,
  {
    cookie,
    form,
    headers = {},
  }: { cookie?: string; form?: Record<string, string>; headers?: Record<string, string> } = {},
): Promise<Page> {
  const client = behindTheProxy(base);
  if (cookie) client.cookieHeader = cookie;
  const page = form ? await client.post(path, form, headers) : await client.get(path, headers);
  const setCookie = [page.headers['set-cookie'] ?? []]
    .flat()
    .find((line) => line.startsWith(`${COOKIE_NAME}=`))
    ?.split(';')[0];
  return { status: page.status, html: page.text, setCookie, location: page.location };
}

/**
 * Logs in through the login form (a real bcrypt comparison), then opens /products once: that
 * page's forms give the session its CSRF token, so later requests find it unmodified.
 */
export async function logIn(base: string, email: string, password: string, attempts = 3): Promise<Login> {
  const client = behindTheProxy(base);
  let products;
  try {
    products = await logInThroughTheForm(client, email, password);
  } catch (err) {
    // A setup login is not measured: one that a busy database answered with 503 (Retry-After: 1) is tried again.
    if (attempts <= 1 || !/got 503/.test(err instanceof Error ? err.message : '')) throw err;
    await new Promise((resolve) => setTimeout(resolve, 1000));
    return logIn(base, email, password, attempts - 1);
  }
  if (!products.text.includes(email)) throw new Error('not logged in after POST /login');
  const productId = /name="productId" value="([0-9a-f]{24})"/.exec(products.text)?.[1];
  if (!productId) throw new Error('no product on /products');
  return { email, cookie: client.cookieHeader, csrf: csrfFrom(products.text), productId };
}

export const formBody = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
