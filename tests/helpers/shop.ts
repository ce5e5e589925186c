import { randomUUID } from 'node:crypto';
import type { Types } from 'mongoose';
import { Product } from '../../src/models/Product';
import type { CheckoutDetails } from '../../src/services/checkout';
import { User } from '../../src/models/User';
import { createUser, csrfToken, type Agent } from './http';
import { CARDS, CHECKOUT_ADDRESS } from '../../support/shopFlows';

export { CARDS };

let counter = 0;

export async function createProduct(
  owner: { _id: Types.ObjectId },
  fields: Partial<{
    title: string;
    priceCents: number;
    description: string;
    imageUrl: string;
    category: string;
    stock: number;
    createdAt: Date;
  }> = {},
) {
  counter += 1;
  return Product.create({
    title: `Product ${counter}`,
    priceCents: 1000 + counter,
    description: 'A fine product for testing.',
    imageUrl: '/images/mug.svg',
    userId: owner._id,
    // Plenty, unless a test is about the stock.
    stock: 1000,
    ...fields,
  });
}

/** A product owned by a throwaway user, for tests that only need something to buy. */
export async function someProduct(fields: Parameters<typeof createProduct>[1] = {}) {
  return createProduct(await createUser(), fields);
}

/** Posts a form with the CSRF token of the page `from` (which must hold a form). */
export async function postForm(agent: Agent, path: string, fields: Record<string, unknown>, from = '/') {
  const _csrf = await csrfToken(agent, from);
  return agent
    .post(path)
    .type('form')
    .send({ _csrf, ...fields });
}

/** A file for a multipart form; `field` is `image` unless said. */
export interface Upload {
  bytes: Buffer;
  filename: string;
  contentType?: string;
  field?: string;
}

/**
 * Posts a form as a browser posts one with a file input (multipart/form-data), the CSRF token of
 * the page `from` first unless `token` says otherwise ('' sends none).
 */
export async function postMultipart(
  agent: Agent,
  path: string,
  fields: Record<string, string>,
  { from = '/', files = [], token }: { from?: string; files?: Upload[]; token?: string } = {},
) {
  const _csrf = token ?? (await csrfToken(agent, from));
  const request = agent.post(path);
  if (_csrf) request.field('_csrf', _csrf);
  for (const [name, value] of Object.entries(fields)) request.field(name, value);
  for (const { bytes, filename, contentType = 'application/octet-stream', field = 'image' } of files) {
    request.attach(field, bytes, { filename, contentType });
  }
  return request;
}

export async function cartOf(userId: Types.ObjectId) {
  const user = await User.findById(userId);
  return (user?.cart.items ?? []).map((item) => ({ productId: item.productId.toString(), quantity: item.quantity }));
}

/** A valid checkout form (routes/shop.ts's contract), with a fresh one-time id unless `formId` is given. */
export function checkoutForm(fields: Record<string, string> = {}) {
  return {
    ...CHECKOUT_ADDRESS,
    shipping: 'standard',
    formId: randomUUID(),
    ...fields,
  };
}

/** What the checkout form gives placeOrder (services/checkout.ts), for tests that call it directly. */
export function checkoutDetails(): CheckoutDetails {
  const { name, line1, line2, city, postcode, country } = checkoutForm();
  return {
    address: { name, line1, line2, city, postcode, country },
    shipping: { method: 'standard', priceCents: 495 },
    checkoutKey: randomUUID(),
    holdMinutes: 15,
    provider: 'test-pay',
  };
}

/** Sends the checkout form for the cart as it is: the answer sends the customer to pay (303), or back to the cart. */
export const checkOut = (agent: Agent, fields: Record<string, string> = {}) =>
  postForm(agent, '/checkout', checkoutForm(fields), '/cart');

/**
 * Pays on Test Pay's page at `paymentUrl` (where the checkout sent the customer) with `card`, as
 * the customer would: opens the page for its form's token, then sends the form. Resolves to
 * Test Pay's answer (a 303 back to the shop, or the form again with its error).
 */
export async function payAt(agent: Agent, paymentUrl: string, card: string, fields: Record<string, string> = {}) {
  const path = new URL(paymentUrl, 'http://localhost').pathname;
  const page = await agent.get(path);
  const token = /name="token" value="([^"]+)"/.exec(page.text)?.[1];
  if (!token) throw new Error(`no payment form at ${path}: ${page.status}`);
  return agent
    .post(path)
    .type('form')
    .send({ token, cardNumber: card, expiry: '12/39', cvc: '123', ...fields });
}

/** Where the checkout sends the customer: Test Pay's page for the order's payment. */
export const PAYMENT_PAGE = /^http:\/\/localhost:3000\/test-pay\/pay_[\w-]+$/;

/** Checks out and pays with the success card: the order is paid once this resolves (Test Pay's webhook went in). */
export async function checkOutAndPay(agent: Agent, fields: Record<string, string> = {}) {
  const answer = await checkOut(agent, fields);
  if (answer.status !== 303)
    throw new Error(`checkout: expected the payment page, got ${answer.status} ${answer.headers.location}`);
  return payAt(agent, answer.headers.location!, CARDS.success);
}
