import type { EventEmitter } from 'node:events';
import { hashSessionId } from './ids';

/**
 * A failure of the session store, with the session id and session contents taken out of the
 * message (connect-mongodb-session puts both in its errors). What it means to a visitor (an HTTP
 * status, a page) is the app's to decide.
 */
export class SessionStoreError extends Error {
  override name = 'SessionStoreError';
}

/** A store opened beside the app with other secrets than the app's: it would find none of its sessions. */
export class SessionSecretsMismatchError extends SessionStoreError {
  override name = 'SessionSecretsMismatchError';
}

// connect-mongodb-session's messages: "Error finding <sid>: <driver message>",
// "Error destroying <sid>: …" and "Error setting <sid> to <util.inspect(session)>: …".
// Only the driver's message (after the last ": " of the last line) is kept.
const STORE_MESSAGE = /^Error (setting|finding|destroying) (\S+)(?: to [\s\S]*)?: (.*)$/;
const VERBS: Record<string, string> = { setting: 'save', finding: 'load', destroying: 'destroy' };

export const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** How a session is named in a message: the store's label (ids.ts), a SHA-256 prefix by default. */
type Label = (sid: string) => string;

/** A driver message may quote the id too (a duplicate key error does): it is replaced by its label. */
export function withoutId(message: string, sid: string | undefined, labelOf: Label = hashSessionId): string {
  return sid ? message.split(sid).join(labelOf(sid)) : message;
}

/** The store's own failure of `operation` ("save", "load", …) on one session, or on many when `sid` is undefined. */
export function storeFailure(
  operation: string,
  sid: string | undefined,
  error: unknown,
  labelOf: Label = hashSessionId,
): SessionStoreError {
  const what = sid === undefined ? 'sessions' : `session ${labelOf(sid)}`;
  return new SessionStoreError(`could not ${operation} ${what}: ${withoutId(messageOf(error), sid, labelOf)}`);
}

/**
 * Calls back with what `work` resolves to, or with its failure as a `storeFailure` (also emitted as
 * 'error' on `store` where someone listens), as express-session's Store contract wants.
 */
export function settle<T>(
  store: EventEmitter,
  labelOf: Label,
  [operation, sid]: [operation: string, sid: string | undefined],
  work: Promise<T>,
  callback?: (err: unknown, value?: T) => void,
): void {
  work.then(
    // Out of the promise chain, as the library does: what the callback throws is not ours to catch.
    (value) => process.nextTick(() => callback?.(null, value)),
    (error: unknown) => {
      const scrubbed = storeFailure(operation, sid, error, labelOf);
      if (store.listenerCount('error') > 0) store.emit('error', scrubbed);
      process.nextTick(() => callback?.(scrubbed));
    },
  );
}

/** Any error of the store or of connect-mongodb-session, fit for a log. */
export function scrubStoreError(error: unknown): SessionStoreError {
  if (error instanceof SessionStoreError) return error;
  const message = messageOf(error);
  const match = STORE_MESSAGE.exec(message);
  if (match) {
    const [, operation = '', sid = '', cause = ''] = match;
    return new SessionStoreError(
      `could not ${VERBS[operation]} session ${hashSessionId(sid)}: ${withoutId(cause, sid)}`,
    );
  }
  if (/^Error (setting|finding|destroying) /.test(message)) {
    return new SessionStoreError('session store operation failed');
  }
  return new SessionStoreError(message);
}
