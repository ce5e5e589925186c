import { randomBytes } from 'node:crypto';
import ConnectionString from 'mongodb-connection-string-url';
import mongoose from 'mongoose';

/** `serverUri` (a MONGODB_URI) naming a new database of its own: `<prefix>_<random>`. */
export function freshDatabaseUri(serverUri: string, prefix: string): string {
  const uri = new ConnectionString(serverUri);
  uri.pathname = `/${prefix}_${randomBytes(4).toString('hex')}`;
  return uri.toString();
}

/** Drops the database `uri` names, on a connection of its own (mongoose's stays as it is). */
export async function dropDatabase(uri: string): Promise<void> {
  const connection = await mongoose.createConnection(uri, { serverSelectionTimeoutMS: 3000 }).asPromise();
  try {
    await connection.dropDatabase();
  } finally {
    await connection.close();
  }
}
