import type { Page, WebClient } from './webClient';

export const FLOW_PASSWORD = 'correct horse battery staple';

function expectRedirect(page: Page, what: string, to?: string): Page {
  if (page.status !== 302 || (to !== undefined && page.location !== to)) {
    throw new Error(`${what}: expected a redirect${to ? ` to ${to}` : ''}, got ${page.status} ${page.location ?? ''}`);
  }
  return page;
}

/** Signs up through the form (the account page is not entered: the shop sends you to log in). */
export async function signUp(client: WebClient, email: string, password = FLOW_PASSWORD): Promise<void> {
  await client.refreshCsrf('/signup');
  expectRedirect(await client.post('/signup', { email, password, confirmPassword: password }), 'sign up', '/login');
}

/** Logs in through the form; the client then holds the session's new CSRF token. */
export async function logIn(client: WebClient, email: string, password = FLOW_PASSWORD): Promise<void> {
  await client.refreshCsrf('/login');
  expectRedirect(await client.post('/login', { email, password }), 'log in');
  await client.refreshCsrf('/products');
}

export const addToCart = (client: WebClient, productId: string) => client.post('/cart', { productId });
export const placeOrder = (client: WebClient) => client.post('/create-order');
export const logOut = (client: WebClient) => client.post('/logout');
