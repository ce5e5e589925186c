import { MongoMemoryServer } from 'mongodb-memory-server';

declare global {
  var __sessionStoreTestServer: MongoMemoryServer | undefined;
}

/** Tests talk to a real server: MONGODB_URI when set, otherwise a throwaway mongod (mongodb-memory-server). */
export default async function globalSetup(): Promise<void> {
  if (process.env.MONGODB_URI) return;
  const server = await MongoMemoryServer.create();
  process.env.MONGODB_URI = server.getUri();
  globalThis.__sessionStoreTestServer = server;
}
