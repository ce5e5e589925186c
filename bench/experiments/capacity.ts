/**
 * A logged-in page (S2), adding to the cart (S3) and a login (S4) with few and with many sessions
 * stored: what one session's read and write cost as the collection grows. Each level has a database
 * of its own (the same users and products) and an app of its own, and their runs alternate round by
 * round, so that the other work on this shared machine falls on both alike. The extra sessions are
 * inserted in bulk, shaped as the store writes them; the measured connections log in through the app.
 */
import { randomBytes } from 'node:crypto';
import ConnectionString from 'mongodb-connection-string-url';
import mongoose from 'mongoose';
import { hashPassword } from '../../src/lib/passwords';
import { User } from '../../src/models/User';
import type { SessionDocument } from '@fernhill/session-store';
import { sessionIds } from '@fernhill/session-store';
import { BENCH_ID_HASH_SECRET, benchConfig } from '../benchConfig';
import { logIn, type Login } from '../client';
import { cannon, durationOf, measuredRun, quiesce, summarize } from '../measure';
import { AppProcess } from '../processes';
import { scenarioLoad, type Credentials, type ScenarioInput } from '../scenarios';
import { log, settings } from '../settings';
import type { CapacityLevel, RunMetrics } from '../types';

export const CAPACITY_SCENARIOS = ['S2', 'S3', 'S4'] as const;
/**
 * The experiment's users have bcrypt cost 4 (the app compares at the hash's cost): at cost 12 a
 * login is a third of a second of CPU whatever the sessions, and 10 of them queued on this
 * machine's one hashing thread left runs without a single finished login. Cost 4 leaves the
 * login's own work, its session writes among it.
 */
const LOGIN_BCRYPT_COST = 4;
const PASSWORD = 'capacity password, long enough';
const BATCH = 1000;
/** Even in a quick run: the first requests after a fill pay for cold caches. */
const WARMUP_SECONDS = Math.max(settings.warmupSeconds, 1);

/**
 * `count` logged-in sessions of as many other users, shaped as a login and a first page leave them:
 * sealed (the shop's store encrypts session data), so the data is random bytes of the size a real
 * session seals to; nobody reads them, they only fill the collection and its index on `user`.
 */
function fillerSessions(count: number, now: number): SessionDocument[] {
  const maxAgeMs = benchConfig().SESSION_MAX_AGE * 1000;
  // Keyed as the app's store keys them: it deletes, when it opens, documents of another id secret.
  const ids = sessionIds(BENCH_ID_HASH_SECRET);
  return Array.from({ length: count }, () => {
    const expires = new Date(now + maxAgeMs);
    const cookie = { originalMaxAge: maxAgeMs, expires, secure: true, httpOnly: true, path: '/', sameSite: 'lax' };
    return {
      _id: ids.keyOf(randomBytes(24).toString('base64url')),
      session: { cookie } as unknown as SessionDocument['session'],
      sealed: `v1.filler.${randomBytes(300).toString('base64url')}`,
      user: ids.userKeyOf(randomBytes(12).toString('hex')),
      expires,
      createdAt: new Date(now),
      lastModified: new Date(now),
      idKey: ids.keyId,
    };
  });
}

const database = (name: string) => mongoose.connection.getClient().db(name);

/** A database beside the benchmark's with the same users and products (and indexes), no sessions. */
async function siblingDatabase(uri: string, suffix: string): Promise<string> {
  const name = `${mongoose.connection.name}_${suffix}`;
  for (const collection of ['users', 'products']) {
    const docs = await mongoose.connection.collection(collection).find().toArray();
    await database(name).collection(collection).insertMany(docs);
  }
  const sibling = mongoose.connection.useDb(name);
  for (const model of Object.values(mongoose.models)) await sibling.model(model.modelName, model.schema).init();
  const url = new ConnectionString(uri);
  url.pathname = `/${name}`;
  return url.toString();
}

/** Tops a database's sessions up to `target` with insertMany; returns how many there are. */
async function fillTo(name: string, target: number): Promise<number> {
  const sessions = database(name).collection<SessionDocument>('sessions');
  const missing = target - (await sessions.countDocuments());
  const started = Date.now();
  for (let done = 0; done < missing; done += BATCH) {
    await sessions.insertMany(fillerSessions(Math.min(BATCH, missing - done), Date.now()), { ordered: false });
  }
  if (missing > 0) log(`  inserted ${missing} sessions in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return sessions.countDocuments();
}

interface Level {
  target: number;
  database: string;
  app: AppProcess;
  input: ScenarioInput;
  sessions: number;
}

/**
 * Fills the level's database first and logs in afterwards: the measured sessions are the newest, as
 * active users' sessions are, and a server that scans the collection in insertion order (FerretDB
 * finding one `_id`) reaches them last, not first.
 */
async function startLevel(uri: string, target: number, credentials: Credentials[]): Promise<Level> {
  const name = new ConnectionString(uri).pathname.slice(1);
  await database(name).collection('sessions').deleteMany({});
  const mine = credentials.slice(0, settings.connections);
  await fillTo(name, target - mine.length);
  const app = await AppProcess.start('ours', uri);
  // One at a time: ten at once made a slow server answer 503 before the measurement began.
  const logins: Login[] = [];
  for (const c of mine) logins.push(await logIn(app.url, c.email, c.password));
  const input: ScenarioInput = { logins, credentials: mine };
  return { target, database: name, app, input, sessions: await database(name).collection('sessions').countDocuments() };
}

/** Users of the experiment's own, with cheap password hashes (see LOGIN_BCRYPT_COST). */
async function capacityUsers(): Promise<Credentials[]> {
  const password = await hashPassword(PASSWORD, LOGIN_BCRYPT_COST);
  const credentials = Array.from({ length: settings.connections }, (_, i) => ({
    email: `capacity-${i}@bench.invalid`,
    password: PASSWORD,
  }));
  await User.insertMany(credentials.map((c) => ({ email: c.email, password })));
  return credentials;
}

export async function capacityRuns(uri: string): Promise<CapacityLevel[]> {
  log(`capacity: ${settings.capacitySessions.join(' and ')} stored sessions, side by side`);
  const credentials = await capacityUsers();
  const uris = [uri];
  for (const target of settings.capacitySessions.slice(1)) uris.push(await siblingDatabase(uri, `s${target}`));
  const levels: Level[] = [];
  try {
    for (const [i, target] of settings.capacitySessions.entries()) {
      levels.push(await startLevel(uris[i]!, target, credentials));
    }
    const results: CapacityLevel[] = levels.map((l) => ({ target: l.target, sessions: l.sessions, scenarios: {} }));
    for (const scenario of CAPACITY_SCENARIOS) {
      const runs = levels.map((): RunMetrics[] => []);
      if (scenario !== 'S4') {
        for (const l of levels)
          await cannon(l.app.url, scenarioLoad(scenario, l.input), WARMUP_SECONDS, settings.connections);
      }
      for (let round = 0; round < settings.runs; round += 1) {
        for (let k = 0; k < levels.length; k += 1) {
          const i = (k + round) % levels.length;
          const { app, input } = levels[i]!;
          runs[i]!.push(
            await measuredRun(app, scenarioLoad(scenario, input), durationOf(scenario, settings.otherDurationSeconds)),
          );
          // Requests abandoned at the end of a run (logins queued for bcrypt, pages waiting on a slow
          // server) still load the database: the next run, of another level, starts once they are done.
          await quiesce(app);
        }
      }
      levels.forEach((_, i) => (results[i]!.scenarios[scenario] = summarize(scenario, runs[i]!)));
      log(
        `  ${scenario} ` +
          results
            .map(
              (r) =>
                `${r.sessions} sessions: ${r.scenarios[scenario]!.rps.toFixed(1)} req/s p50 ${r.scenarios[scenario]!.p50} ms`,
            )
            .join('; '),
      );
    }
    return results;
  } finally {
    // FerretDB 1.24 crashed (SIGBUS) when a database was dropped under updates still running.
    await Promise.all(levels.map((l) => quiesce(l.app).then(() => l.app.stop())));
    for (const u of uris.slice(1))
      await database(new ConnectionString(u).pathname.slice(1))
        .dropDatabase()
        .catch(() => {});
  }
}
