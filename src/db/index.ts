/**
 * Everything that depends on which MongoDB-wire server the app talks to lives in this folder:
 * connecting, the embedded database of `npm start`, the server's capabilities, and the two
 * primitives the rest of the app uses instead of asking which server it is.
 */
export { type ServerCapabilities, serverCapabilities } from './capabilities';
export { connectMongoose, driverOptions, pingDatabase, type DatabaseSettings } from './connection';
export { DatabaseDeadlineError, startDatabaseDeadline, type DatabaseDeadline } from './deadline';
export { runningEmbeddedDatabase, startEmbeddedDatabase, NO_DATABASE_HELP, type EmbeddedDatabase } from './embedded';
export {
  DatabaseBusyError,
  RETRY_AFTER_SECONDS,
  isDatabaseUnavailable,
  isDuplicateKeyError,
  writeRefusalReason,
} from './errors';
export { expireDocuments, startExpirySweeper, sweepExpiredDocuments, type ExpiringCollection } from './expiry';
export { serialized } from './serialized';
export { claimSoleInstance, SecondInstanceError, type SoleInstance } from './soleInstance';
export { checkWrites, noteDatabaseError, WRITE_PROBE_COLLECTION, type WriteHealth } from './writeHealth';
