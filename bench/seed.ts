/** The benchmark's database: its users and products, its sessions, and what it runs on. */
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import mongoose from 'mongoose';
import { serverCapabilities } from '../src/db';
import { hashPassword } from '../src/lib/passwords';
import { Product } from '../src/models/Product';
import { User } from '../src/models/User';
import { SESSION_COLLECTIONS } from '../support/commandCounter';
import type { Credentials } from './scenarios';
import { settings } from './settings';

const PASSWORD = 'bench password, long enough';
const PRODUCTS = 40;

/**
 * Who the benchmark's connections are: `pages` log in once and keep their session (S2, S3, S5's
 * pages); `logins` log in over and over (S4, the login burst, S5's logins). Apart, because a
 * stream of logins makes the per-user cap (MAX_SESSIONS_PER_USER) end the account's older sessions.
 */
export interface BenchUsers {
  pages: Credentials[];
  logins: Credentials[];
}

export async function seed(): Promise<BenchUsers> {
  const users = Math.max(settings.connections, settings.burstLogins);
  // One hash serves every bench user: they share the password.
  const password = await hashPassword(PASSWORD, settings.bcryptCost);
  const seller = await User.create({ email: 'seller@bench.invalid', password });
  const now = Date.now();
  await Product.insertMany(
    Array.from({ length: PRODUCTS }, (_, i) => ({
      title: `Bench product ${i + 1}`,
      priceCents: 500 + i * 25,
      description: 'A product for the benchmark.',
      imageUrl: '/images/mug.svg',
      userId: seller._id,
      // Never the limit: the load is about sessions and carts, not selling out.
      stock: 100_000,
      createdAt: new Date(now - i * 60_000),
    })),
  );
  const credentials = Array.from({ length: users * 2 }, (_, i) => ({
    email: `bench-${i}@bench.invalid`,
    password: PASSWORD,
  }));
  await User.insertMany(credentials.map((c) => ({ email: c.email, password })));
  return { pages: credentials.slice(0, users), logins: credentials.slice(users) };
}

export async function clearSessions() {
  for (const name of SESSION_COLLECTIONS) await mongoose.connection.collection(name).deleteMany({});
}

export async function environment() {
  const db = mongoose.connection.db!;
  const info = await db.admin().command({ buildInfo: 1 });
  const git = (args: string[]) => {
    try {
      return execFileSync('git', args, { encoding: 'utf8' }).trim();
    } catch {
      return 'unknown';
    }
  };
  return {
    date: new Date().toISOString(),
    nproc: os.availableParallelism(),
    cpu: os.cpus()[0]?.model ?? 'unknown',
    memoryGb: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    loadAverageAtStart: os.loadavg().map((l) => Math.round(l * 100) / 100),
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
    database: databaseName(info),
    commit: git(['rev-parse', '--short', 'HEAD']),
  };
}

function databaseName(info: Record<string, unknown>): string {
  const version = String(info.version);
  switch (serverCapabilities().server) {
    case 'ferretdb':
      return `FerretDB ${String(info.ferretdbVersion)} (MongoDB wire protocol ${version}, SQLite)`;
    case 'mongo-java-server':
      return `mongo-java-server (in memory, reports MongoDB ${version})`;
    default:
      return `MongoDB ${version}`;
  }
}
