import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startEmbeddedDatabase, type EmbeddedDatabase } from '../../src/config/embeddedDb';
import { createLogger } from '../../src/lib/logger';

declare global {
  var __embeddedTestDatabase: { database: EmbeddedDatabase; dataDir: string } | undefined;
}

/**
 * Tests talk to a real server over the wire: MONGODB_URI when set (CI starts FerretDB with
 * scripts/test-db.sh), otherwise a throwaway one started here.
 */
export default async function globalSetup(): Promise<void> {
  if (process.env.MONGODB_URI) return;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'shop-test-db-'));
  const database = await startEmbeddedDatabase(dataDir, createLogger('warn'));
  process.env.MONGODB_URI = database.uri;
  globalThis.__embeddedTestDatabase = { database, dataDir };
}
