import { AsyncLocalStorage } from 'node:async_hooks';
import { setMaxListeners } from 'node:events';
import path from 'node:path';
import mongoose from 'mongoose';
import { RETRY_AFTER_SECONDS } from './errors';

/**
 * One deadline for all the database work of a request, whichever client runs it.
 *
 * The driver takes an AbortSignal per operation (server selection, the wait for a pooled
 * connection, the wait for the reply) but has no per-client hook for it, and every query of the
 * app, mongoose's, the session store's, the throttles' and GridFS's, goes through the driver's
 * Collection methods. So each of those methods (and Db#command, for pings) is wrapped, once per
 * driver copy, to pass the signal of the deadline it runs under (an AsyncLocalStorage) when the
 * caller gave none. When the signal aborts, every command still waiting fails with a
 * DatabaseDeadlineError (a 503), and a command started later fails before it is sent.
 *
 * The signal aborts at the deadline only while the request is waiting for the database and the
 * database has gone quiet: if it answered any command in the last half second (or the request's
 * wait began less than half a second ago), it is busy rather than gone (a busy host, a burst of
 * visitors), and the request goes on waiting; the decision is taken again when that half second
 * has passed without an answer. A request past its deadline that is not waiting for the database
 * (it is hashing a password on a busy CPU) is not stopped for it: its next command starts the half
 * second. A held or cut database answers nothing, so a request waiting on it gets its 503 at its
 * deadline, or half a second after its wait began if it had run longer than its budget already.
 *
 * Work that needs no database never notices: a page slowed down by a busy CPU is still served.
 * Work outside a deadline (startup, sweeps) keeps the driver's own timeouts.
 */

/** A request ran out of time waiting for the database: "try again" (503), not a bug. */
export class DatabaseDeadlineError extends Error {
  override name = 'DatabaseDeadlineError';
  readonly status = 503;
  readonly retryAfterSeconds = RETRY_AFTER_SECONDS;

  constructor(budgetMs: number) {
    super(`the database did not answer within the request's ${budgetMs} ms`);
  }
}

/** A request's deadline, as the wrapped driver methods see it. */
interface RunningDeadline {
  signal: AbortSignal;
  /** A command of the request started waiting for the database. */
  waiting(): void;
  /** That command was answered (or failed). */
  answered(): void;
}

const deadlines = new AsyncLocalStorage<RunningDeadline>();

/** The signal of the deadline the caller runs under, if any: work that waits without a command (a turn) listens to it too. */
export const currentDeadline = (): AbortSignal | undefined => deadlines.getStore()?.signal;

/**
 * Where each wrapped method takes its options: the driver's public signatures (the same in
 * drivers 6 and 7).
 */
const COLLECTION_OPTIONS_AT: Record<string, number> = {
  aggregate: 1,
  bulkWrite: 1,
  countDocuments: 1,
  createIndex: 1,
  deleteMany: 1,
  deleteOne: 1,
  distinct: 2,
  estimatedDocumentCount: 0,
  find: 1,
  findOne: 1,
  findOneAndDelete: 1,
  findOneAndReplace: 2,
  findOneAndUpdate: 2,
  insertMany: 1,
  insertOne: 1,
  replaceOne: 2,
  updateMany: 2,
  updateOne: 2,
};
const DB_OPTIONS_AT: Record<string, number> = { command: 1 };
/** The wrapped methods that return a cursor, which checks the signal itself whenever it waits. */
const RETURN_CURSORS = new Set(['aggregate', 'find']);
/** A cursor's wait for the server's answer: its signal came with the options of `find` or `aggregate`. */
const CURSOR_ANSWERS: Record<string, undefined> = { toArray: undefined, next: undefined, tryNext: undefined };

/** How long the database may go without answering anything before a request past its deadline stops waiting. */
const QUIET_MS = 500;
/** When the database last answered a command, through either client. */
let lastAnswerAt = 0;
const noteAnswer = () => {
  lastAnswerAt = Date.now();
};

type Method = (...args: unknown[]) => unknown;
interface DriverClasses {
  AbstractCursor: { prototype: object };
  Collection: { prototype: object };
  Db: { prototype: object };
}

const isPromise = (value: unknown): value is PromiseLike<unknown> =>
  typeof (value as PromiseLike<unknown> | undefined)?.then === 'function';

/** An options argument the signal can be added to: none, or an object without a signal of its own. */
const takesSignal = (options: unknown) =>
  options === undefined || (typeof options === 'object' && options !== null && !('signal' in options));

/**
 * Wraps `methods` of a driver class: each passes the current deadline's signal in its options (at
 * the index given), and notes when the server answered.
 */
function instrument(prototype: object, methods: Record<string, number | undefined>): void {
  const target = prototype as Record<string, Method>;
  for (const [name, optionsAt] of Object.entries(methods)) {
    const original = target[name];
    if (typeof original !== 'function') continue;
    target[name] = function (this: unknown, ...args: unknown[]) {
      const deadline = deadlines.getStore();
      const signal = deadline?.signal;
      if (signal && optionsAt !== undefined && takesSignal(args[optionsAt])) {
        // The driver listens for the abort while it waits, but does not look whether it came
        // already: a command started after the deadline would wait for a server or a connection.
        if (signal.aborted && !RETURN_CURSORS.has(name)) return Promise.reject(signal.reason);
        args[optionsAt] = { ...(args[optionsAt] as object | undefined), signal };
      }
      const result = original.apply(this, args);
      if (isPromise(result)) {
        deadline?.waiting();
        const answered = () => deadline?.answered();
        result.then(() => {
          noteAnswer();
          answered();
        }, answered);
      }
      return result;
    };
  }
}

/**
 * The copies of the driver the app may run: mongoose's, and the one connect-mongodb-session loads
 * (found from where that package lives). package.json's `overrides` makes them one copy, and the
 * session store runs on mongoose's client anyway; this keeps a second copy covered should one
 * come back (a store opened with a uri of its own would use it).
 */
function driversInUse(): DriverClasses[] {
  const storePackage = path.dirname(require.resolve('connect-mongodb-session'));
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the store's copy, wherever npm put it
  const storeDriver = require(require.resolve('mongodb', { paths: [storePackage] })) as DriverClasses;
  return [mongoose.mongo, storeDriver];
}

const bound = new WeakSet<object>();
let driversBound = false;

/** Instruments each copy of the driver once (the first deadline); later requests pay nothing. */
function bindDrivers(): void {
  if (driversBound) return;
  driversBound = true;
  for (const { AbstractCursor, Collection, Db } of driversInUse()) {
    if (bound.has(Collection.prototype)) continue;
    bound.add(Collection.prototype);
    instrument(Collection.prototype, COLLECTION_OPTIONS_AT);
    instrument(Db.prototype, DB_OPTIONS_AT);
    instrument(AbstractCursor.prototype, CURSOR_ANSWERS);
  }
}

export interface DatabaseDeadline {
  /** Runs `work` (and everything it starts) under this deadline. */
  run<T>(work: () => T): T;
  /** Stops the clock: the work is answered, and what it still does afterwards has no deadline. */
  clear(): void;
}

/**
 * Starts a deadline `budgetMs` from now. Until `clear()`, commands that `run()` starts, on either
 * client, fail with DatabaseDeadlineError once it has passed with the database quiet.
 */
export function startDatabaseDeadline(budgetMs: number): DatabaseDeadline {
  bindDrivers();
  const controller = new AbortController();
  // Every command of the request listens to this one signal, several at once in a Promise.all.
  setMaxListeners(0, controller.signal);
  let cleared = false;
  /** Commands of the request waiting for an answer, and since when the request has been waiting. */
  let inFlight = 0;
  let waitingSince = 0;
  /** The budget has passed while the request was not waiting: its next wait is watched from its start. */
  let overdue = false;
  let timer: NodeJS.Timeout | undefined = setTimeout(expire, budgetMs);
  function expire() {
    timer = undefined;
    // Decided once the event loop has read what arrived meanwhile: on a busy host the answers may
    // be waiting in the sockets.
    setImmediate(() => {
      if (cleared || controller.signal.aborted) return;
      if (inFlight === 0) {
        overdue = true;
        return;
      }
      const quietFor = Date.now() - Math.max(lastAnswerAt, waitingSince);
      if (quietFor >= QUIET_MS) controller.abort(new DatabaseDeadlineError(budgetMs));
      else timer = setTimeout(expire, QUIET_MS - quietFor);
    });
  }
  const running: RunningDeadline = {
    signal: controller.signal,
    waiting() {
      if (inFlight++ === 0) waitingSince = Date.now();
      if (overdue && !timer && !cleared) {
        overdue = false;
        timer = setTimeout(expire, QUIET_MS);
      }
    },
    answered() {
      inFlight = Math.max(0, inFlight - 1);
    },
  };
  return {
    run: (work) => deadlines.run(running, work),
    clear: () => {
      cleared = true;
      clearTimeout(timer);
    },
  };
}
