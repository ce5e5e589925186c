import type { Response } from 'express';
import { TooManyAttemptsError } from '../services/throttle';
import type { FieldErrors } from '../validation';

/**
 * Runs a throttle check. When it refuses, answers 429 on the form itself (with Retry-After and
 * when to try again) and resolves to false.
 */
export async function withinLimit(
  res: Response,
  check: () => Promise<void>,
  renderForm: (status: number, errors: FieldErrors) => void,
): Promise<boolean> {
  try {
    await check();
    return true;
  } catch (err) {
    if (!(err instanceof TooManyAttemptsError)) throw err;
    res.set('Retry-After', String(err.retryAfterSeconds));
    renderForm(429, { form: err.message });
    return false;
  }
}
