import { randomUUID } from 'node:crypto';
import { waitForMailTo } from './outbox';
import type { Page, WebClient } from './webClient';

/** The password of the visitors that tests, the load test and the benchmark sign up. */
export const PASSWORD = 'correct horse battery staple';

let counter = 0;
/** A new email for each call (unique across processes too), so visitors never collide. */
export function uniqueEmail(prefix = 'user'): string {
  counter += 1;
  return `${prefix}${counter}-${process.pid}@example.com`;
}

function expectRedirect(page: Page, what: string, to?: string): Page {
  if (page.status !== 302 || (to !== undefined && page.location !== to)) {
    throw new Error(`${what}: expected a redirect${to ? ` to ${to}` : ''}, got ${page.status} ${page.location ?? ''}`);
  }
  return page;
}

/**
 * Signs up through the form, opens the confirmation link the shop mailed to `outboxDir` (its
 * MAIL_OUTBOX_DIR) and sends its page's form with the password, as a new customer does before
 * logging in.
 */
export async function signUp(client: WebClient, email: string, outboxDir: string, password = PASSWORD): Promise<void> {
  await client.refreshCsrf('/signup');
  expectRedirect(await client.post('/signup', { email, password, confirmPassword: password }), 'sign up', '/login');
  const mail = await waitForMailTo(outboxDir, email);
  const token = /\/verify\/([\w-]{43})/.exec(mail.text)?.[1];
  if (!token) throw new Error(`sign up: no confirmation link in the mail to ${email}`);
  // The GET gives the client the page's CSRF token; only the form's POST confirms.
  const page = await client.get(`/verify/${token}`);
  if (page.status !== 200) throw new Error(`confirm the address: the link answered ${page.status}`);
  const confirmed = await client.post('/verify', { token, password, confirmPassword: password });
  expectRedirect(confirmed, 'confirm the address', '/login');
}

/**
 * Logs in through the form, then opens /products, whose forms give the client the session's new
 * CSRF token. Returns that page.
 */
export async function logIn(client: WebClient, email: string, password = PASSWORD): Promise<Page> {
  await client.refreshCsrf('/login');
  expectRedirect(await client.post('/login', { email, password }), 'log in');
  return client.refreshCsrf('/products');
}

export const addToCart = (client: WebClient, productId: string) => client.post('/cart', { productId });
/** A delivery address the checkout form accepts (its fields are the form's contract). */
export const CHECKOUT_ADDRESS = {
  name: 'Ada Lovelace',
  line1: '12 Analytical Row',
  line2: '',
  city: 'London',
  postcode: 'N1 9GU',
  country: 'United Kingdom',
} as const;

/** The card numbers of Fernhill Test Pay (src/testPay/cards.ts), as a customer types them. */
export const CARDS = {
  success: '4242 4242 4242 4242',
  declined: '4000 0000 0000 0002',
  insufficientFunds: '4000 0000 0000 9995',
} as const;

/** The checkout's answer sent the customer to pay: the order stands, awaiting payment, its stock held. */
export const sentToPay = (page: Page) => page.status === 303 && /\/test-pay\/pay_[\w-]+$/.test(page.location ?? '');

/**
 * Sends the checkout form for the cart as it is, standard shipping, with a fresh one-time id: the
 * answer is a 303 to the payment page (the order awaits payment, its stock held), or a 302 back to
 * the cart with the reason nothing was ordered.
 */
export const placeOrder = (client: WebClient) =>
  client.post('/checkout', { ...CHECKOUT_ADDRESS, shipping: 'standard', formId: randomUUID() });
export const removeFromCart = (client: WebClient, productId: string) => client.post('/cart-delete-item', { productId });
export const logOut = (client: WebClient) => client.post('/logout');
