import { serverCapabilities } from './capabilities';

/**
 * The part of a collection that expiry uses. Structural, so that a collection of another driver
 * copy fits as well as mongoose's.
 */
export interface ExpiringCollection {
  readonly collectionName: string;
  readonly dbName: string;
  indexes(): Promise<Array<{ name?: string; key: Record<string, unknown>; expireAfterSeconds?: number }>>;
  createIndex(keys: Record<string, 1>, options?: { expireAfterSeconds?: number }): Promise<string>;
  dropIndex(name: string): Promise<unknown>;
  // The filter is `{ [field]: { $lt: Date } }`; each driver types it its own way.
  deleteMany(filter: never): Promise<{ deletedCount: number }>;
}

interface Registration {
  collection: ExpiringCollection;
  field: string;
  afterMs: number;
}

/** What the shared sweeper deletes, where the server's TTL indexes do not. */
const registrations = new Map<string, Registration>();

const CLIENT_CLOSED = new Set(['MongoTopologyClosedError', 'MongoNotConnectedError']);

/** The index on exactly `{ [field]: 1 }`, if there is one (none when the collection does not exist yet). */
async function indexOn(collection: ExpiringCollection, field: string) {
  const indexes = await collection.indexes().catch(() => []);
  return indexes.find(({ key }) => Object.keys(key).length === 1 && key[field] === 1);
}

/**
 * Has documents of `collection` deleted once `field` (a date) is more than `afterSeconds` in the
 * past: by a TTL index where the server's TTL monitor deletes (MongoDB, within about a minute), by
 * the shared sweeper (`startExpirySweeper`) where it does not. Readers must still check the date
 * themselves: neither deletes at the very moment of expiry. Returns a function that stops the sweeping.
 */
export async function expireDocuments(
  collection: ExpiringCollection,
  field: string,
  { afterSeconds = 0 } = {},
): Promise<() => void> {
  const existing = await indexOn(collection, field);
  if (serverCapabilities().ttlDeletes) {
    if (existing?.expireAfterSeconds === afterSeconds) return () => undefined;
    // A plain index, or a TTL index with another delay (the setting changed): make it anew.
    if (existing?.name) await collection.dropIndex(existing.name);
    await collection.createIndex({ [field]: 1 }, { expireAfterSeconds: afterSeconds });
    return () => undefined;
  }
  // The sweeper's query needs an index on the field (a TTL index the server never acts on will do).
  if (!existing) await collection.createIndex({ [field]: 1 });
  const key = `${collection.dbName}.${collection.collectionName}.${field}`;
  const registration = { collection, field, afterMs: afterSeconds * 1000 };
  registrations.set(key, registration);
  return () => {
    if (registrations.get(key) === registration) registrations.delete(key);
  };
}

/** Deletes now what the sweeper would delete; resolves to the count per collection and field. */
export async function sweepExpiredDocuments(now = Date.now()): Promise<Record<string, number>> {
  const deleted: Record<string, number> = {};
  const failures: unknown[] = [];
  for (const [key, { collection, field, afterMs }] of registrations) {
    const filter = { [field]: { $lt: new Date(now - afterMs) } } as never;
    try {
      deleted[key] = (await collection.deleteMany(filter)).deletedCount;
    } catch (err) {
      // Its client was closed (a session store that was shut down): nothing to sweep there any more.
      if (err instanceof Error && CLIENT_CLOSED.has(err.name)) registrations.delete(key);
      else failures.push(err);
    }
  }
  if (failures.length > 0) throw new AggregateError(failures, 'could not delete expired documents');
  return deleted;
}

interface SweeperLogger {
  debug(details: object, message: string): void;
  warn(details: object, message: string): void;
}

/** Runs `sweepExpiredDocuments` every `intervalMs` until the returned function is called. */
export function startExpirySweeper(intervalMs: number, logger: SweeperLogger): () => void {
  const timer = setInterval(() => {
    sweepExpiredDocuments().then(
      (deleted) => logger.debug({ deleted }, 'deleted expired documents'),
      (err: unknown) => logger.warn({ err }, 'could not delete expired documents'),
    );
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
