/** How long a client is told to wait before trying again after a 503. */
export const RETRY_AFTER_SECONDS = 5;

/**
 * Too busy to run a change in time (a serialized change that could not get its turn): "try again"
 * (503), not a bug. Its message is meant for the user.
 */
export class DatabaseBusyError extends Error {
  override name = 'DatabaseBusyError';
  readonly status = 503;
  readonly userFacing = true;
  readonly retryAfterSeconds = RETRY_AFTER_SECONDS;

  constructor(options?: ErrorOptions) {
    super('The shop is very busy right now. Please try again in a moment.', options);
  }
}

const UNAVAILABLE_ERRORS = new Set([
  'MongoServerSelectionError',
  'MongooseServerSelectionError',
  'MongoNetworkError',
  'MongoNetworkTimeoutError',
  'MongoNotConnectedError',
  'MongoTopologyClosedError',
  'MongoPoolClearedError',
]);

/** Socket errors that the driver passes on unwrapped, e.g. `write ECONNRESET` when a link dies mid-command. */
const NETWORK_ERROR_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ECONNABORTED', 'EPIPE', 'ETIMEDOUT', 'ENOTCONN']);

/** True for errors that mean "the database cannot be reached", which the app answers with 503. */
export function isDatabaseUnavailable(error: unknown): boolean {
  // Checked before `instanceof`: node's socket errors may come from another realm (jest's sandbox).
  const code = typeof error === 'object' && error !== null && 'code' in error ? error.code : undefined;
  if (typeof code === 'string' && NETWORK_ERROR_CODES.has(code)) return true;
  if (!(error instanceof Error)) return false;
  if (UNAVAILABLE_ERRORS.has(error.name)) return true;
  // mongoose: "Operation `users.findOne()` buffering timed out after 3000ms"
  return error.name === 'MongooseError' && /buffering timed out/.test(error.message);
}
