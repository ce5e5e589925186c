import type { mongo } from 'mongoose';

/**
 * What the connected server really does, where MongoDB-wire servers differ. The app is written for
 * MongoDB's semantics; these answers let the database module make up for a server that lacks one,
 * so that nothing outside this module needs to know which server it talks to.
 */
export interface ServerCapabilities {
  /** Which server answered, for logs and test reports. */
  server: 'mongodb' | 'ferretdb' | 'mongo-java-server';
  /**
   * A single-document update (a conditional `updateOne`, `$inc`, `findOneAndUpdate`) is applied
   * atomically, as on MongoDB. FerretDB 1.x reads and writes without isolation: 20 parallel `$inc`
   * of one field end at 1.
   */
  atomicUpdates: boolean;
  /** A TTL index really deletes expired documents (mongo-java-server lists them but never deletes). */
  ttlDeletes: boolean;
  /**
   * `explain` shows the query planner's choice of index. mongo-java-server has no `explain`;
   * FerretDB's shows SQLite's plan, which cannot show an index being used.
   */
  explain: boolean;
  /** A partial index honours its `partialFilterExpression` (mongo-java-server ignores it, FerretDB refuses it). */
  partialIndexes: boolean;
}

export const MONGODB: ServerCapabilities = {
  server: 'mongodb',
  atomicUpdates: true,
  ttlDeletes: true,
  explain: true,
  partialIndexes: true,
};

type BuildInfo = mongo.Document;

function identify(buildInfo: BuildInfo): ServerCapabilities['server'] {
  if ('ferretdbVersion' in buildInfo) return 'ferretdb';
  // mongo-java-server answers a minimal buildInfo without MongoDB's build details.
  if (!('gitVersion' in buildInfo) || !('storageEngines' in buildInfo)) return 'mongo-java-server';
  return 'mongodb';
}

/**
 * Whether a unique partial index lets two documents outside its filter share a key. Tried on a
 * scratch collection, which is dropped again.
 */
async function honoursPartialIndexes(db: mongo.Db): Promise<boolean> {
  const scratch = db.collection(`capability_probe_${process.pid}_${Date.now()}`);
  try {
    await scratch.createIndex({ key: 1 }, { unique: true, partialFilterExpression: { counted: true } });
    await scratch.insertMany([{ key: 1 }, { key: 1 }]);
    return true;
  } catch {
    return false;
  } finally {
    await scratch.drop().catch(() => undefined);
  }
}

/** Asks the server once what it is and tries what cannot be told from its answer. */
export async function detectCapabilities(db: mongo.Db): Promise<ServerCapabilities> {
  const server = identify(await db.admin().command({ buildInfo: 1 }));
  if (server === 'mongodb') return MONGODB;
  return {
    server,
    atomicUpdates: server !== 'ferretdb',
    ttlDeletes: false,
    explain: false,
    partialIndexes: await honoursPartialIndexes(db),
  };
}

let connected: ServerCapabilities | undefined;

/** Called by `connectMongoose` once the server answered. */
export function rememberCapabilities(capabilities: ServerCapabilities): void {
  connected = capabilities;
}

/** The connected server's capabilities; throws before the first connect. */
export function serverCapabilities(): ServerCapabilities {
  if (!connected) throw new Error('not connected to the database yet');
  return connected;
}
