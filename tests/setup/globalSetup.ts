import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { mongo } from 'mongoose';
import { startEmbeddedDatabase, type EmbeddedDatabase } from '../../src/db';
import { detectCapabilities } from '../../src/db/capabilities';
import { createLogger } from '../../src/lib/logger';
import { ensureBuild } from '../../support/build';

declare global {
  var __embeddedTestDatabase: { database: EmbeddedDatabase; dataDir: string } | undefined;
}

/**
 * Tests talk to a real server over the wire: MONGODB_URI when set (CI starts FerretDB and
 * mongo-java-server, see scripts/), otherwise a throwaway one started here. What that server can
 * do is detected once and handed to the test files in TEST_DB_CAPABILITIES (tests/helpers/server.ts).
 * The servers tests start in processes of their own (support/shopProcess.ts) run the build, made
 * here once per run, and only when a source changed since the last one.
 */
export default async function globalSetup(): Promise<void> {
  const startedAt = Date.now();
  if (ensureBuild()) console.log(`\nBuilt dist/ for the servers tests start (${Date.now() - startedAt} ms)`);
  if (!process.env.MONGODB_URI) {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'shop-test-db-'));
    const database = await startEmbeddedDatabase(dataDir, createLogger('warn'));
    process.env.MONGODB_URI = database.uri;
    globalThis.__embeddedTestDatabase = { database, dataDir };
  }
  const client = await mongo.MongoClient.connect(process.env.MONGODB_URI, { serverSelectionTimeoutMS: 5000 });
  try {
    const capabilities = await detectCapabilities(client.db('shop_test_capabilities'));
    process.env.TEST_DB_CAPABILITIES = JSON.stringify(capabilities);
    console.log(`\nTest database: ${process.env.MONGODB_URI} is ${JSON.stringify(capabilities)}`);
  } finally {
    await client.close();
  }
}
