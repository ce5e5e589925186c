import { randomBytes } from 'node:crypto';

/** Test Pay's own collections, beside the shop's in the same database (as another company's would be elsewhere). */
export const PAYMENTS_COLLECTION = 'testpay.payments';
export const DELIVERIES_COLLECTION = 'testpay.deliveries';

/** `pay_…`, `re_…`: a prefix that says what the id names, then 144 random bits, url-safe. */
export const newId = (prefix: 'pay' | 're') => `${prefix}_${randomBytes(18).toString('base64url')}`;

/**
 * Whether the server refused a write for a unique index (E11000). Read from the error's code
 * rather than by `instanceof MongoServerError`: Test Pay uses only the driver's types.
 */
export function isDuplicateKeyError(error: unknown): boolean {
  return typeof error === 'object' && error !== null && 'code' in error && error.code === 11000;
}

/**
 * `create` run once, on first use: the shop connects after it builds Test Pay, so indexes cannot
 * be made at construction. A failure is forgotten, so that the next use tries again.
 */
export function onFirstUse(create: () => Promise<unknown>): () => Promise<void> {
  let done: Promise<unknown> | undefined;
  return async () => {
    done ??= create().catch((error: unknown) => {
      done = undefined;
      throw error;
    });
    await done;
  };
}
