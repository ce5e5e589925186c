import { PROXY_HEADERS } from './benchConfig';

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
  const res = await fetch(new URL(path, base), {
    method: form ? 'POST' : 'GET',
    redirect: 'manual',
    headers: {
      ...PROXY_HEADERS,
      ...(cookie ? { cookie } : {}),
      ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
      ...headers,
    },
    body: form ? new URLSearchParams(form).toString() : undefined,
  });
  const setCookie = res.headers
    .getSetCookie()
    .find((c) => c.startsWith(`${COOKIE_NAME}=`))
    ?.split(';')[0];
  return { status: res.status, html: await res.text(), setCookie, location: res.headers.get('location') ?? undefined };
}

export function csrfFrom(html: string): string {
  const match = /name="_csrf" value="([^"]+)"/.exec(html);
  if (!match?.[1]) throw new Error('no _csrf field on the page');
  return match[1];
}

/**
 * Logs in through the login form (a real bcrypt comparison), then opens /products once: that
 * page's forms give the session its CSRF token, so later requests find it unmodified.
 */
export async function logIn(base: string, email: string, password: string): Promise<Login> {
  const form = await request(base, '/login');
  if (form.status !== 200 || !form.setCookie) throw new Error(`GET /login answered ${form.status}`);
  const posted = await request(base, '/login', {
    cookie: form.setCookie,
    form: { _csrf: csrfFrom(form.html), email, password },
  });
  if (posted.status !== 302 || !posted.setCookie) throw new Error(`POST /login answered ${posted.status}`);
  const products = await request(base, '/products', { cookie: posted.setCookie });
  if (products.status !== 200 || !products.html.includes(email)) throw new Error('not logged in after POST /login');
  const productId = /name="productId" value="([0-9a-f]{24})"/.exec(products.html)?.[1];
  if (!productId) throw new Error('no product on /products');
  return { email, cookie: posted.setCookie, csrf: csrfFrom(products.html), productId };
}

export const formBody = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
