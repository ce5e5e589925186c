/**
 * Our store beside connect-mongo and connect-mongodb-session (its base, and the ratios' base) on the
 * server at MONGODB_URI: store operations per second, then a logged-in page (page.ts). Run by
 * `npm run bench` in the package folder, `npm run bench -- --quick` for a short run. The table goes
 * to stdout and to bench/results/<date>-<server>.md; progress goes to stderr.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import MongoStore from 'connect-mongo';
import session, { Cookie, type SessionData, type Store } from 'express-session';
import { MongoClient } from 'mongodb';
import ConnectionString from 'mongodb-connection-string-url';
import { openSessionStore } from '../src';
import { servePage, type BenchSession, type Page, type PageResult } from './page';

const QUICK = process.argv.includes('--quick');
const URI = process.env.MONGODB_URI ?? 'mongodb://127.0.0.1:27117/';
/** Operations per measured store operation; rounds of requests of the page (medians); each at a fixed concurrency. */
const SETTINGS = QUICK
  ? { ops: 250, inFlight: 8, rounds: 3, requests: 300, connections: 8 }
  : { ops: 1000, inFlight: 8, rounds: 5, requests: 1000, connections: 8 };
const MAX_AGE_MS = 60 * 60 * 1000;
const BASE = 'connect-mongodb-session';

const OPERATIONS = ['set', 'get', 'touch', 'destroy'] as const;
type Operation = (typeof OPERATIONS)[number];

const log = (message: string) => process.stderr.write(`${message}\n`);
const messageOf = (err: unknown) => (err instanceof Error ? err.message : String(err));

interface Opened {
  store: Store;
  close(): Promise<void>;
}

/**
 * Opens a contender's store on `uri` (a fresh database). For the page (`page`), as an app runs it;
 * for the store operations, with a touch that always writes (the operation measured).
 */
type Opener = (uri: string, page: boolean, ttlIndexes: boolean) => Promise<Opened>;

function ours(extra: { encryptionKeys?: string[] } = {}): Opener {
  return async (uri, page, ttlIndexes) => {
    const client = new MongoClient(uri);
    // A variable, not a literal: it type-checks whether or not the options declare encryptionKeys yet.
    const options = {
      client,
      collection: page ? 'page_sessions' : 'sessions',
      maxAgeMs: MAX_AGE_MS,
      touchIntervalMs: page ? undefined : 0,
      expiry: ttlIndexes ? ('ttl' as const) : { sweepEveryMs: 60 * 60 * 1000 },
      ...extra,
    };
    try {
      const store = await openSessionStore(options);
      return { store, close: () => store.close().finally(() => client.close()) };
    } catch (err) {
      await client.close();
      throw err;
    }
  };
}

const connectMongo: Opener = async (uri, page, ttlIndexes) => {
  const store = MongoStore.create({
    client: new MongoClient(uri),
    collectionName: page ? 'page_sessions' : 'sessions',
    ttl: MAX_AGE_MS / 1000,
    // Seconds: 0 writes every touch; 60 is our default touch interval.
    touchAfter: page ? 60 : 0,
    autoRemove: ttlIndexes ? 'native' : 'interval',
  });
  try {
    await store.collectionP;
    return { store, close: () => store.close() };
  } catch (err) {
    await store.close();
    throw err;
  }
};

type MongoDBStoreClass = new (
  options: { uri: string; collection: string },
  callback: (err?: Error) => void,
) => Store & { client: MongoClient; initialConnectionPromise: Promise<MongoClient | undefined> };
// An untyped CommonJS module, required as the library documents it.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const MongoDBStore = (require('connect-mongodb-session') as (s: typeof session) => MongoDBStoreClass)(session);

const connectMongoDBSession: Opener = async (uri, page) => {
  // With a callback it reports a refused TTL index there (FerretDB) and runs on; a failed connect
  // leaves initialConnectionPromise undefined.
  const store = new MongoDBStore({ uri, collection: page ? 'page_sessions' : 'sessions' }, () => {});
  if (!(await store.initialConnectionPromise)) {
    await store.client.close();
    throw new Error('could not connect');
  }
  return { store, close: () => store.client.close() };
};

interface Row {
  name: string;
  open: Opener;
  database: string;
  ops?: Opened;
  page?: Opened;
  /** Why the row is not in the table. */
  skipped?: string;
  rates: Partial<Record<Operation, number>>;
  pageResult?: PageResult;
  /** What failed, by column. */
  failures: Partial<Record<Operation | 'page', string>>;
}

// @types/express-session leaves out the constructor's options.
const CookieOf = Cookie as unknown as new (options: { maxAge: number; httpOnly: boolean; path: string }) => Cookie;

const newSid = () => randomBytes(24).toString('base64url');

/** A logged-in session as express-session hands it to `set`. */
function sessionData(userId: string, csrfSecret = randomBytes(18).toString('base64url')): BenchSession {
  return {
    cookie: new CookieOf({ maxAge: MAX_AGE_MS, httpOnly: true, path: '/' }),
    userId,
    csrfSecret,
    cart: [1, 2, 3].map((quantity) => ({ productId: randomBytes(12).toString('hex'), quantity })),
  };
}

/** A store's callback API as a promise. */
function call<T = void>(run: (done: (err?: unknown, value?: T) => void) => void): Promise<T | undefined> {
  return new Promise((resolve, reject) => run((err, value) => (err ? reject(err) : resolve(value))));
}

/** The store operations on sessions 0..n-1 of `sids`; `touch` touches what `get` loaded. Undefined: the store has none. */
function operationsOf(store: Store, sids: string[]): Record<Operation, ((i: number) => Promise<unknown>) | undefined> {
  const loaded: SessionData[] = [];
  const touch = store.touch?.bind(store);
  return {
    set: (i) => call((done) => store.set(sids[i]!, sessionData(`user-${i}`), done)),
    get: async (i) => {
      const data = await call<SessionData | null>((done) => store.get(sids[i]!, done));
      if (!data) throw new Error('a stored session was not found');
      loaded[i] = data;
    },
    touch:
      touch &&
      (async (i) => {
        // As express-session hands it over at the end of a request: its cookie's expiry renewed.
        const data = loaded[i];
        if (!data) throw new Error('no session loaded to touch');
        data.cookie.expires = new Date(Date.now() + (data.cookie.originalMaxAge ?? MAX_AGE_MS));
        await call((done) => touch(sids[i]!, data, done));
      }),
    destroy: (i) => call((done) => store.destroy(sids[i]!, done)),
  };
}

/** Runs `operation` on 0..count-1, `inFlight` at a time; resolves to operations per second. Throws if any failed. */
async function rate(count: number, inFlight: number, operation: (i: number) => Promise<unknown>): Promise<number> {
  let next = 0;
  let failed = 0;
  let first: unknown;
  const start = performance.now();
  const worker = async () => {
    while (next < count) {
      await operation(next++).catch((err: unknown) => {
        failed += 1;
        first ??= err;
      });
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  const seconds = (performance.now() - start) / 1000;
  if (failed > 0) throw new Error(`${failed} of ${count} failed: ${messageOf(first)}`);
  return count / seconds;
}

/** `rows` starting from the `turn`-th, for the order of the stores to rotate. */
const rotated = <T>(rows: T[], turn: number) => rows.map((_, i) => rows[(i + turn) % rows.length]!);

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/**
 * The page on every store: each served and logged in, then warmed up by a round, then `rounds`
 * rounds in which the stores take turns in a rotating order; the medians of the rounds.
 */
async function measurePages(rows: Row[]) {
  const { rounds, requests, connections } = SETTINGS;
  const pages = new Map<Row, Page>();
  const runs = new Map<Row, PageResult[]>(rows.map((row) => [row, []]));
  const attempt = async (row: Row, work: () => Promise<void>) => {
    if (row.failures.page) return;
    try {
      await work();
    } catch (err) {
      row.failures.page = messageOf(err);
      log(`${row.name} page: ${row.failures.page}`);
    }
  };
  try {
    for (const row of rows) {
      await attempt(row, async () => {
        const page = await servePage(row.page!.store, MAX_AGE_MS, connections);
        pages.set(row, page);
        await page.measure(requests);
      });
    }
    for (let round = 0; round < rounds; round += 1) {
      for (const row of rotated(rows, round)) {
        await attempt(row, async () => void runs.get(row)!.push(await pages.get(row)!.measure(requests)));
      }
    }
  } finally {
    for (const page of pages.values()) page.close();
  }
  for (const row of rows) {
    if (row.failures.page) continue;
    const of = (metric: keyof PageResult) => median(runs.get(row)!.map((run) => run[metric]));
    row.pageResult = { rps: of('rps'), p50: of('p50'), p99: of('p99') };
    log(`${row.name} page: ${row.pageResult.rps.toFixed(0)} req/s, p99 ${row.pageResult.p99} ms`);
  }
}

/** Refuses a store that keeps a session's fields readable in its document (encryptionKeys ignored). */
async function checkEncrypted(store: Store, admin: MongoClient, database: string) {
  const sid = newSid();
  const marker = `plaintext-${randomBytes(8).toString('hex')}`;
  await call((done) => store.set(sid, sessionData('probe', marker), done));
  const doc = await admin.db(database).collection('sessions').findOne({});
  await call((done) => store.destroy(sid, done));
  if (!doc) throw new Error('the probe session was not stored');
  if (JSON.stringify(doc).includes(marker)) {
    throw new Error('openSessionStore took encryptionKeys but stored the session readable: not implemented yet');
  }
}

async function describeServer(admin: MongoClient) {
  const info = await admin.db('admin').command({ buildInfo: 1 });
  const version = String(info.version);
  if ('ferretdbVersion' in info) {
    return { slug: 'ferretdb', label: `FerretDB ${String(info.ferretdbVersion)} (wire ${version})`, ttlIndexes: false };
  }
  // mongo-java-server answers a minimal buildInfo (as src/db/capabilities.ts of the shop tells them apart).
  if (!('gitVersion' in info) || !('storageEngines' in info)) {
    return { slug: 'mongo-java-server', label: `mongo-java-server (reports MongoDB ${version})`, ttlIndexes: true };
  }
  return { slug: `mongodb-${version}`, label: `MongoDB ${version}`, ttlIndexes: true };
}

function withDatabase(uri: string, database: string): string {
  const parsed = new ConnectionString(uri);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

const formatted = (value: number) => value.toFixed(value >= 10 ? 0 : 1);

/** The cell of one figure, with its ratio to the base's. */
function cell(value: number | undefined, base: number | undefined, failure?: string): string {
  if (failure) return 'fails';
  if (value === undefined) return '–';
  return base ? `${formatted(value)} (${(value / base).toFixed(2)}×)` : formatted(value);
}

function table(rows: Row[]): string {
  const base = rows.find((row) => row.name === BASE);
  const header = ['store', ...OPERATIONS.map((op) => `${op}/s`), 'page req/s', 'page p50 ms', 'page p99 ms'];
  const lines = rows.map((row) => {
    const ratioBase = row === base ? undefined : base;
    return [
      row.name,
      ...OPERATIONS.map((op) => cell(row.rates[op], ratioBase?.rates[op], row.failures[op])),
      cell(row.pageResult?.rps, ratioBase?.pageResult?.rps, row.failures.page),
      cell(row.pageResult?.p50, ratioBase?.pageResult?.p50, row.failures.page),
      cell(row.pageResult?.p99, ratioBase?.pageResult?.p99, row.failures.page),
    ];
  });
  const widths = header.map((title, i) => Math.max(title.length, ...lines.map((line) => line[i]!.length)));
  const render = (cells: string[]) =>
    `| ${cells.map((text, i) => (i === 0 ? text.padEnd(widths[i]!) : text.padStart(widths[i]!))).join(' | ')} |`;
  const rule = `| ${widths.map((width, i) => (i === 0 ? '-'.repeat(width) : `${'-'.repeat(width - 1)}:`)).join(' | ')} |`;
  return [render(header), rule, ...lines.map(render)].join('\n');
}

/** The results as markdown: the header line, the table, what was measured and what failed. */
function report(server: Awaited<ReturnType<typeof describeServer>>, rows: Row[], seconds: number): string {
  const { ops, inFlight, rounds, requests, connections } = SETTINGS;
  const cpus = os.cpus();
  const notes = [
    `Store operations: ${ops} of each at ${inFlight} in flight, after a warm-up of 100: \`set\` of a new logged-in session (cookie, user id, a secret, a cart of 3), \`get\` of a stored one, \`touch\` of what \`get\` returned (its cookie renewed, as express-session does), \`destroy\`.`,
    '`touch` always writes: ours with touchIntervalMs 0, connect-mongo with touchAfter 0. connect-mongodb-session has no touch (express-session then calls none).',
    `Page: express + express-session (resave and saveUninitialized false) on the store; ${connections} connections, each logged in (POST /login puts a user in its session), then GET /page that reads the user: a warm-up of ${requests} requests, then the medians of ${rounds} rounds of ${requests}, the stores taking turns in a rotating order; autocannon in this process. The stores as an app runs them: ours with its default touch interval (60 s), connect-mongo with touchAfter 60 s.`,
    ...(rows.some((row) => row.name === 'ours, encrypted' && !row.skipped)
      ? [
          '**ours, encrypted**: `encryptionKeys` with one random key (checked: a stored session keeps no field readable).',
        ]
      : []),
    server.ttlIndexes
      ? 'Expiry: TTL indexes (ours `ttl`, connect-mongo `native`, connect-mongodb-session its own).'
      : 'Expiry: the server takes no TTL index (connect-mongodb-session reports its refusal and runs on); ours sweeps (`{ sweepEveryMs }`), connect-mongo `interval`: neither runs during the bench.',
    ...(server.slug === 'ferretdb'
      ? [
          `FerretDB 1.x scans the collection for every update and delete, even by \`_id\`: those rates fall as sessions are stored (up to ${ops} here).`,
        ]
      : []),
    'Ratios: to connect-mongodb-session in this run (for latencies, below 1 is faster). Each store has a fresh database, dropped afterwards.',
    ...rows.filter((row) => row.skipped).map((row) => `**${row.name}**: skipped: ${row.skipped}.`),
    ...rows.flatMap((row) =>
      Object.entries(row.failures).map(([column, failure]) => `**${row.name}** fails ${column}: ${failure}.`),
    ),
  ];
  return [
    `# Session store benchmark, ${new Date().toISOString().slice(0, 10)}${QUICK ? ' (quick)' : ''}`,
    '',
    `Server: ${server.label} at ${new ConnectionString(URI).hosts.join(',')} · Node ${process.version} · ${cpus.length} CPUs (${cpus[0]?.model.trim() ?? 'unknown'}) · load ${os.loadavg()[0]!.toFixed(1)} · ${seconds.toFixed(0)} s`,
    '',
    table(rows.filter((row) => !row.skipped)),
    '',
    ...notes.map((note) => `- ${note}`),
    '',
  ].join('\n');
}

async function main() {
  const started = performance.now();
  const admin = await MongoClient.connect(URI, { serverSelectionTimeoutMS: 5000 });
  const server = await describeServer(admin);
  const run = randomBytes(3).toString('hex');
  const contenders: [string, Opener][] = [
    ['ours', ours()],
    ['ours, encrypted', ours({ encryptionKeys: [randomBytes(32).toString('base64url')] })],
    ['connect-mongo', connectMongo],
    [BASE, connectMongoDBSession],
  ];
  const rows: Row[] = contenders.map(([name, open]) => ({
    name,
    open,
    database: `session_store_bench_${run}_${name.replace(/\W+/g, '_')}`,
    rates: {},
    failures: {},
  }));
  log(`${server.label} at ${URI}: ${QUICK ? 'quick' : 'full'} run`);
  try {
    for (const row of rows) {
      try {
        const uri = withDatabase(URI, row.database);
        row.ops = await row.open(uri, false, server.ttlIndexes);
        row.page = await row.open(uri, true, server.ttlIndexes);
        if (row.name === 'ours, encrypted') await checkEncrypted(row.ops.store, admin, row.database);
      } catch (err) {
        row.skipped = messageOf(err);
        log(`${row.name}: skipped (${row.skipped})`);
      }
    }
    const live = rows.filter((row) => !row.skipped);
    const { ops, inFlight } = SETTINGS;
    const operations = new Map(
      live.map((row) => [row, operationsOf(row.ops!.store, Array.from({ length: ops }, newSid))] as const),
    );
    // A warm-up of every operation on other sessions (pools open, code paths compiled), not measured.
    for (const row of live) {
      const warmUp = operationsOf(row.ops!.store, Array.from({ length: 100 }, newSid));
      for (const op of OPERATIONS) await rate(100, inFlight, warmUp[op] ?? (async () => {})).catch(() => {});
    }
    // Operation by operation, every store in turn (each first in turn): other work on this machine,
    // and what the first to run compiles, fall on all alike.
    for (const [turn, op] of OPERATIONS.entries()) {
      for (const row of rotated(live, turn)) {
        const operation = operations.get(row)![op];
        if (!operation) continue;
        try {
          row.rates[op] = await rate(ops, inFlight, operation);
          log(`${row.name} ${op}: ${row.rates[op].toFixed(0)}/s`);
        } catch (err) {
          row.failures[op] = messageOf(err);
          log(`${row.name} ${op}: ${row.failures[op]}`);
        }
      }
    }
    await measurePages(live);
  } finally {
    for (const row of rows) {
      await row.ops?.close().catch(() => {});
      await row.page?.close().catch(() => {});
      await admin
        .db(row.database)
        .dropDatabase()
        .catch(() => {});
    }
    await admin.close();
  }

  const text = report(server, rows, (performance.now() - started) / 1000);
  process.stdout.write(text);
  const dir = path.join(__dirname, 'results');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${new Date().toISOString().slice(0, 10)}-${server.slug}${QUICK ? '-quick' : ''}.md`);
  writeFileSync(file, text);
  log(`written to ${path.relative(process.cwd(), file)}`);
}

main().catch((err: unknown) => {
  log(err instanceof Error ? (err.stack ?? err.message) : String(err));
  process.exitCode = 1;
});
