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

/**
 * The driver's errors that mean "no server to talk to right now", by class (any ancestor) or name.
 * Names, not `instanceof`: an error of another copy of the driver (a dependency that brings its
 * own) is recognised too.
 */
const UNAVAILABLE_CLASSES = new Set([
  // Every network failure: resets, socket timeouts, and a pool cleared under a running operation
  // (PoolClearedError, PoolClearedOnNetworkError).
  'MongoNetworkError',
  'MongoServerSelectionError',
  'MongooseServerSelectionError',
  'MongoNotConnectedError',
  'MongoTopologyClosedError',
  'MongoServerClosedError',
  'MongoClientClosedError',
  'MongoStalePrimaryError',
  'WaitQueueTimeoutError',
  'MongoOperationTimeoutError',
  // A request's deadline passed while it waited for the database (deadline.ts).
  'DatabaseDeadlineError',
  // The write was made but not replicated as asked (timeout, too few members up).
  'MongoWriteConcernError',
]);

/** Labels the driver (or the server) puts on errors worth retrying later. */
const UNAVAILABLE_LABELS = [
  'RetryableWriteError',
  'ResetPool',
  'PoolRequestedRetry',
  'InterruptInUseConnections',
  'HandshakeError',
  'RetryableError',
  'SystemOverloadedError',
];

/** MongoDB's codes (src/mongo/base/error_codes.yml) for a server that cannot serve the operation now. */
const UNAVAILABLE_CODES = new Set([
  6, // HostUnreachable
  7, // HostNotFound
  50, // MaxTimeMSExpired
  64, // WriteConcernTimeout
  89, // NetworkTimeout
  91, // ShutdownInProgress
  100, // UnsatisfiableWriteConcern
  133, // FailedToSatisfyReadPreference
  189, // PrimarySteppedDown
  202, // NetworkInterfaceExceededTimeLimit
  262, // ExceededTimeLimit
  462, // IngressRequestRateLimitExceeded
  9001, // SocketException
  10058, // LegacyNotPrimary
  10107, // NotWritablePrimary
  11600, // InterruptedAtShutdown
  11602, // InterruptedDueToReplStateChange
  13435, // NotPrimaryNoSecondaryOk
  13436, // NotPrimaryOrSecondary
]);

/** Socket errors that the driver passes on unwrapped, e.g. `write ECONNRESET` when a link dies mid-command. */
const NETWORK_ERROR_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ECONNABORTED', 'EPIPE', 'ETIMEDOUT', 'ENOTCONN']);

interface ServerReport {
  code?: unknown;
  errmsg?: unknown;
  message?: unknown;
}

type Inspectable = Error & {
  code?: unknown;
  errorLabels?: unknown;
  writeErrors?: unknown;
  writeConcernError?: unknown;
  originalError?: unknown;
  reason?: unknown;
};

/**
 * The error and what it wraps: its cause, the server's error the driver replaced (a write refused
 * with IllegalOperation becomes "does not support retryable writes"), mongoose's reason. A few
 * levels: the chain may loop.
 */
function chainOf(error: unknown): Inspectable[] {
  const chain: Inspectable[] = [];
  let current: unknown = error;
  while (current instanceof Error && chain.length < 4 && !chain.includes(current)) {
    chain.push(current);
    const next: Inspectable = current;
    current = next.cause ?? next.originalError ?? next.reason;
  }
  return chain;
}

function classNamesOf(error: Error): string[] {
  const names = [error.name];
  for (let proto: unknown = Object.getPrototypeOf(error); proto && proto !== Error.prototype;) {
    names.push((proto as { constructor: { name: string } }).constructor.name);
    proto = Object.getPrototypeOf(proto);
  }
  return names;
}

function labelsOf(error: Inspectable): string[] {
  return Array.isArray(error.errorLabels) ? error.errorLabels.filter((label) => typeof label === 'string') : [];
}

/** What the server said: the error itself, each failed write of a batch, a write concern failure. */
function serverReportsOf(error: Inspectable): ServerReport[] {
  const writeErrors: unknown[] = Array.isArray(error.writeErrors) ? error.writeErrors : [error.writeErrors];
  return [error, ...writeErrors, error.writeConcernError].filter(
    (report): report is ServerReport => typeof report === 'object' && report !== null,
  );
}

const messageOf = ({ errmsg, message }: ServerReport) =>
  typeof errmsg === 'string' ? errmsg : typeof message === 'string' ? message : '';

/**
 * Why the server refuses to write anything, if that is what `report` says: its disk is full, or
 * it runs read-only. Reads still work then, so this is told apart from an outage.
 */
function writeRefusalIn(report: ServerReport): string | undefined {
  const message = messageOf(report);
  switch (report.code) {
    case 14031: // OutOfDiskSpace: MongoDB's disk space monitor (and MMAPv1's "out of disk space")
      return 'out of disk space';
    case 20: // IllegalOperation, as a read-only mongod (queryable backup, read-only storage) answers writes
      return /read-?only/i.test(message) ? 'read-only' : undefined;
    case 8000: // AtlasError: a shared or free Atlas tier over its storage quota
      return /space quota/i.test(message) ? 'over its storage quota' : undefined;
    case 1: // InternalError: how FerretDB passes on SQLite's SQLITE_FULL, SQLITE_READONLY and SQLITE_IOERR
      if (/database or disk is full/i.test(message)) return 'out of disk space';
      if (/readonly database/i.test(message)) return 'read-only';
      return /disk I\/O error/i.test(message) ? 'cannot write to its disk' : undefined;
    default:
      return undefined;
  }
}

/**
 * Why the database server refuses writes ("out of disk space", "read-only", ...), when `error` says
 * it does; undefined for any other error. Such a server still answers reads.
 */
export function writeRefusalReason(error: unknown): string | undefined {
  for (const link of chainOf(error)) {
    for (const report of serverReportsOf(link)) {
      const reason = writeRefusalIn(report);
      if (reason) return reason;
    }
  }
  return undefined;
}

/**
 * True for errors that mean "the database cannot serve this now", which the app answers with 503:
 * no server reachable, a connection lost or timed out, a server stepping down or shutting down,
 * a write concern not met, a server that refuses writes (full disk, read-only).
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  // Checked before `instanceof`: node's socket errors may come from another realm (jest's sandbox).
  const code = typeof error === 'object' && error !== null && 'code' in error ? error.code : undefined;
  if (typeof code === 'string' && NETWORK_ERROR_CODES.has(code)) return true;
  if (writeRefusalReason(error)) return true;
  return chainOf(error).some(
    (link) =>
      classNamesOf(link).some((name) => UNAVAILABLE_CLASSES.has(name)) ||
      labelsOf(link).some((label) => UNAVAILABLE_LABELS.includes(label)) ||
      serverReportsOf(link).some((report) => typeof report.code === 'number' && UNAVAILABLE_CODES.has(report.code)) ||
      serverReportsOf(link).some(isBusy) ||
      // mongoose: "Operation `users.findOne()` buffering timed out after 3000ms"
      (link.name === 'MongooseError' && /buffering timed out/.test(link.message)),
  );
}

/** FerretDB passes SQLite's SQLITE_BUSY on as an InternalError when writers pile up: busy, try again. */
function isBusy(report: ServerReport): boolean {
  return report.code === 1 && /database is locked|SQLITE_BUSY/i.test(messageOf(report));
}

/**
 * True for a write refused by a unique index. MongoDB says so with code 11000 (E11000); FerretDB's
 * SQLite backend does on inserts, but passes an update's violation on as an InternalError (code 1)
 * whose message names SQLite's UNIQUE constraint.
 */
export function isDuplicateKeyError(error: unknown): boolean {
  if (typeof error === 'object' && error !== null && 'code' in error && error.code === 11000) return true;
  return chainOf(error).some((link) =>
    serverReportsOf(link).some(
      (report) => report.code === 11000 || (report.code === 1 && /UNIQUE constraint failed/.test(messageOf(report))),
    ),
  );
}
