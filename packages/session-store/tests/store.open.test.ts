/** Opening the store: what it logs. */
import { MongoClient } from 'mongodb';
import { openSessionStore } from '../src';
import { CLIENT_OPTIONS, uniqueDatabaseUri } from './support/server';

function openWithWarnings(client: MongoClient) {
  const warnings: string[] = [];
  const opened = openSessionStore({
    client,
    maxAgeMs: 60_000,
    touchIntervalMs: 1000,
    absoluteTtlMs: 60 * 60 * 1000,
    expiry: { sweepEveryMs: 60 * 60 * 1000 },
    logger: {
      warn: (details, message) => void warnings.push(`${message}: ${(details.err as Error | undefined)?.message}`),
    },
  });
  return { opened, warnings };
}

it('logs nothing when the server refuses the base library’s TTL index: expiry is arranged anyway', async () => {
  // FerretDB refuses `expireAfterSeconds`; connect-mongodb-session then emits "Error creating index".
  const client = new MongoClient(uniqueDatabaseUri(), CLIENT_OPTIONS);
  const { opened, warnings } = openWithWarnings(client);
  const store = await opened;
  try {
    expect(warnings).toEqual([]);
    // Real errors are still logged.
    store.emit('error', new Error('Error finding x: connection reset'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^session store error: could not load session [0-9a-f]{12}: connection reset$/);
  } finally {
    await store.db.dropDatabase().catch(() => {});
    await store.close();
    await client.close();
  }
});
