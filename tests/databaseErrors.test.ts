import * as topLevelDriver from 'mongodb';
import mongoose, { mongo } from 'mongoose';
import { isDatabaseUnavailable, writeRefusalReason } from '../src/db';

/**
 * The driver classes that are not exported (the driver makes them when it clears a pool), from
 * mongoose's copy of the driver.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports -- no typings for the driver's internals
const cmap = require(require.resolve('mongodb/lib/cmap/errors', { paths: [require.resolve('mongoose')] })) as {
  PoolClearedOnNetworkError: new (pool: { address: string }) => Error;
  PoolClearedError: new (pool: { address: string }) => Error;
  WaitQueueTimeoutError: new (message: string, address: string) => Error;
};
const pool = { address: '127.0.0.1:27017' };

const serverError = (fields: mongo.Document) => new mongo.MongoServerError({ ok: 0, ...fields });
/** A batch write whose documents the server refused one by one (`writeErrors` in an `ok: 1` reply). */
const batchError = (code: number, errmsg: string) =>
  new mongo.MongoBulkWriteError(
    { message: 'write failed', code: 65, writeErrors: [{ index: 0, code, errmsg } as unknown as mongo.WriteError] },
    {} as mongo.BulkWriteResult,
  );

describe('which database errors mean "try again later" (503)', () => {
  it.each<[string, () => unknown]>([
    [
      'a connection reset (MongoNetworkError)',
      () => new mongo.MongoNetworkError('connection 3 to 127.0.0.1:27017 closed'),
    ],
    ['a socket timeout (MongoNetworkTimeoutError)', () => new mongo.MongoNetworkTimeoutError('connection timed out')],
    [
      "the pool cleared under a running command after the monitor's timeout (PoolClearedOnNetworkError)",
      () => new cmap.PoolClearedOnNetworkError(pool),
    ],
    ['the pool cleared after another command failed (PoolClearedError)', () => new cmap.PoolClearedError(pool)],
    [
      'no connection free in time (WaitQueueTimeoutError)',
      () => new cmap.WaitQueueTimeoutError('Timed out while checking out a connection', pool.address),
    ],
    [
      'no server to select (MongoServerSelectionError)',
      () => new mongo.MongoServerSelectionError('Server selection timed out after 3000 ms', {} as never),
    ],
    ['a closed client (MongoTopologyClosedError)', () => new mongo.MongoTopologyClosedError()],
    [
      'an operation timeout (MongoOperationTimeoutError)',
      () => new mongo.MongoOperationTimeoutError('Timed out during socket read'),
    ],
    [
      'mongoose buffering while disconnected',
      () => new mongoose.Error('Operation `users.findOne()` buffering timed out after 3000ms'),
    ],
    [
      'NotWritablePrimary (10107), a failover',
      () => serverError({ code: 10107, codeName: 'NotWritablePrimary', errmsg: 'not primary' }),
    ],
    [
      'NotPrimaryNoSecondaryOk (13435)',
      () =>
        serverError({ code: 13435, codeName: 'NotPrimaryNoSecondaryOk', errmsg: 'not primary and secondaryOk=false' }),
    ],
    [
      'PrimarySteppedDown (189)',
      () => serverError({ code: 189, codeName: 'PrimarySteppedDown', errmsg: 'stepped down' }),
    ],
    [
      'ShutdownInProgress (91)',
      () => serverError({ code: 91, codeName: 'ShutdownInProgress', errmsg: 'shutting down' }),
    ],
    [
      'InterruptedDueToReplStateChange (11602)',
      () =>
        serverError({ code: 11602, codeName: 'InterruptedDueToReplStateChange', errmsg: 'operation was interrupted' }),
    ],
    [
      'MaxTimeMSExpired (50)',
      () => serverError({ code: 50, codeName: 'MaxTimeMSExpired', errmsg: 'operation exceeded time limit' }),
    ],
    [
      'any server error labelled RetryableWriteError',
      () => serverError({ code: 9999, errmsg: 'something transient', errorLabels: ['RetryableWriteError'] }),
    ],
    [
      'a write concern not met (MongoWriteConcernError, wtimeout)',
      () =>
        new mongo.MongoWriteConcernError({
          ok: 1,
          writeConcernError: { code: 64, codeName: 'WriteConcernTimeout', errmsg: 'waiting for replication timed out' },
        }),
    ],
    [
      "the top-level mongodb package's classes (what connect-mongodb-session loads)",
      () => new topLevelDriver.MongoNetworkError('connection closed'),
    ],
    [
      'a socket error passed on unwrapped (ECONNRESET)',
      () => Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }),
    ],
    [
      'a network error as the cause of another error',
      () => new Error('could not save', { cause: new mongo.MongoNetworkError('closed') }),
    ],
  ])('%s', (_what, makeError) => {
    expect(isDatabaseUnavailable(makeError())).toBe(true);
    expect(writeRefusalReason(makeError())).toBeUndefined();
  });

  it.each<[string, () => unknown, string]>([
    [
      'OutOfDiskSpace (14031), from MongoDB',
      () =>
        serverError({ code: 14031, codeName: 'OutOfDiskSpace', errmsg: 'available disk space is below the threshold' }),
      'out of disk space',
    ],
    [
      'OutOfDiskSpace (14031) for one document of a batch',
      () => batchError(14031, 'out of disk space'),
      'out of disk space',
    ],
    [
      'IllegalOperation (20) from a read-only mongod',
      () => batchError(20, 'Cannot execute a write operation in read-only mode'),
      'read-only',
    ],
    [
      'AtlasError (8000) over the storage quota',
      () =>
        serverError({
          code: 8000,
          codeName: 'AtlasError',
          errmsg: 'you are over your space quota, using 513 MB of 512 MB',
        }),
      'over its storage quota',
    ],
    [
      "FerretDB's SQLite: disk full",
      () =>
        serverError({
          code: 1,
          codeName: 'InternalError',
          errmsg: '[msg_insert.go:168] database or disk is full (13)',
        }),
      'out of disk space',
    ],
    [
      "FerretDB's SQLite: read-only files",
      () =>
        serverError({
          code: 1,
          codeName: 'InternalError',
          errmsg: '[msg_update.go:133] attempt to write a readonly database (8)',
        }),
      'read-only',
    ],
    [
      "FerretDB's SQLite: a failed write to its file",
      () =>
        serverError({
          code: 1,
          codeName: 'InternalError',
          errmsg: '[db.go:167 fsql.(*DB).InTransaction] disk I/O error (778)',
        }),
      'cannot write to its disk',
    ],
  ])('a server that cannot write: %s', (_what, makeError, reason) => {
    expect(isDatabaseUnavailable(makeError())).toBe(true);
    expect(writeRefusalReason(makeError())).toBe(reason);
  });

  it.each<[string, () => unknown]>([
    [
      'a duplicate key (11000): a conflict, handled where it happens',
      () => serverError({ code: 11000, codeName: 'DuplicateKey', errmsg: 'E11000 duplicate key error' }),
    ],
    [
      'IllegalOperation (20) for another reason',
      () => serverError({ code: 20, codeName: 'IllegalOperation', errmsg: 'cannot rename across databases' }),
    ],
    [
      'AtlasError (8000) for another reason',
      () =>
        serverError({ code: 8000, codeName: 'AtlasError', errmsg: 'user is not allowed to do action [dropDatabase]' }),
    ],
    [
      'InternalError (1) for another reason',
      () => serverError({ code: 1, codeName: 'InternalError', errmsg: 'unexpected value' }),
    ],
    ['a malformed id (CastError)', () => new mongoose.Error.CastError('ObjectId', 'nope', '_id')],
    ['a plain bug', () => new TypeError("Cannot read properties of undefined (reading 'cart')")],
    ['not an error at all', () => 'ECONNRESET'],
  ])('not: %s', (_what, makeError) => {
    expect(isDatabaseUnavailable(makeError())).toBe(false);
    expect(writeRefusalReason(makeError())).toBeUndefined();
  });
});

it("answers FerretDB's SQLite busy error (writers piling up) with 503, without calling the server unable to write", () => {
  const busy = serverError({
    code: 1,
    codeName: 'InternalError',
    errmsg: '[msg_update.go:133] database is locked (5)',
  });
  expect(isDatabaseUnavailable(busy)).toBe(true);
  expect(writeRefusalReason(busy)).toBeUndefined();
  expect(isDatabaseUnavailable(serverError({ code: 1, codeName: 'InternalError', errmsg: 'something else' }))).toBe(
    false,
  );
});
