import { randomBytes } from 'node:crypto';
import { HttpError } from './HttpError';

const FORM_ID = /^[A-Za-z0-9_-]{16,64}$/;

/**
 * A fresh id for one form on one page. The cart takes what a form sends once per id, so a form sent
 * again (the answer was lost, or a 503 left the user unsure) adds nothing twice. Not a secret: it
 * only ever affects the sender's own cart.
 */
export const newFormId = (): string => randomBytes(12).toString('base64url');

/**
 * The form id a submission carries: undefined without one (an older page, a script), which then
 * works as before; a 400 for a malformed one.
 */
export function formIdOf(value: unknown): string | undefined {
  if (value === undefined || value === '') return undefined;
  if (typeof value === 'string' && FORM_ID.test(value)) return value;
  throw new HttpError(400, 'This form could not be read. Please reload the page and try again.');
}
