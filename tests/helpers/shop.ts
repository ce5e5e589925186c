import type { Types } from 'mongoose';
import { Product } from '../../src/models/Product';
import { User } from '../../src/models/User';
import { createUser, csrfToken, type Agent } from './http';

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
