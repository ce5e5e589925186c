import { randomUUID } from 'node:crypto';
import { HttpError } from './HttpError';

const FORM_ID = /^[A-Za-z0-9_-]{16,64}$/;

/**
 * A fresh id for one form on one page. The cart takes what a form sends once per id, so a form sent
 * again (the answer was lost, or a 503 left the user unsure) adds nothing twice. Not a secret: it
 * only ever affects the sender's own cart. A UUID: node draws them from a buffered pool, where a
 * page of product cards would otherwise ask the system for random bytes once per card.
 */
export const newFormId = (): string => randomUUID();

/**
 * The form id a submission carries: undefined without one (an older page, a script), which then
 * works as before; a 400 for a malformed one.
 */
export function formIdOf(value: unknown): string | undefined {
  if (value === undefined || value === '') return undefined;
  if (typeof value === 'string' && FORM_ID.test(value)) return value;
  throw new HttpError(400, 'This form could not be read. Please reload the page and try again.');
}
