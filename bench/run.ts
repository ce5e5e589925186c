/**
 * `npm run bench [-- --quick]`: the session benchmark. See README.md ("Performance") for what it
 * measures and how to read it. Results go to bench/results/<date>[-quick].{json,md,svg}.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import ConnectionString from 'mongodb-connection-string-url';
import mongoose from 'mongoose';
import { connectMongoose } from '../src/db';
import { hashPassword } from '../src/lib/passwords';
import { Product } from '../src/models/Product';
import { User } from '../src/models/User';
import { benchConfig } from './benchConfig';
import { logIn, request, type Login } from './client';
import { SESSION_COLLECTIONS, sum, type CommandCounts } from '../support/commandCounter';
import { AppProcess, ServerProcess, measureMemory, type MemoryReport } from './processes';
import { writeReports } from './report';
import {
  SCENARIOS,
  scenarioOptions,
  type Credentials,
  type Options,
  type ScenarioId,
  type ScenarioInput,
} from './scenarios';
import { STORES, type StoreName } from './stores';
import type {
  BurstVariant,
  ClusterRun,
  PerRequest,
  Probe,
  Results,
  RunMetrics,
  ScenarioSummary,
  StoreResults,
} from './types';

const PASSWORD = 'bench password, long enough';
const PRODUCTS = 40;
const BURST_LOGINS = 10;

const { values: flags } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    runs: { type: 'string' },
    duration: { type: 'string' },
    warmup: { type: 'string' },
    connections: { type: 'string' },
    stores: { type: 'string' },
    scenarios: { type: 'string' },
    skip: { type: 'string' },
    sessions: { type: 'string' },
    /** Writes the .md and .svg of a recorded .json again (after a change to the report), runs nothing. */
    report: { type: 'string' },
  },
});

const SETTLE_MS = flags.quick ? 150 : 300;
const MIN_LOGIN_SECONDS = flags.quick ? 1 : 2;

const settings = {
  quick: flags.quick ?? false,
  runs: Number(flags.runs ?? 3),
  durationSeconds: Number(flags.duration ?? (flags.quick ? 0.5 : 6)),
  warmupSeconds: Number(flags.warmup ?? (flags.quick ? 0 : 2)),
  connections: Number(flags.connections ?? 10),
  stores: (flags.stores?.split(',') ?? [...STORES]) as StoreName[],
  scenarios: (flags.scenarios?.split(',') ?? Object.keys(SCENARIOS)) as ScenarioId[],
  /** Parts to leave out: any of stores, burst, memory, cluster (a quick run leaves out cluster, which needs a build). */
  skip: new Set((flags.skip ?? (flags.quick ? 'cluster' : '')).split(',').filter(Boolean)),
  // FerretDB 1.x updates scan the whole collection, so creating sessions one by one through the
  // store takes time that grows with their square: 10 000 take minutes there.
  memorySessions: Number(flags.sessions ?? (flags.quick ? 500 : 10_000)),
  pipelining: 1,
  bcryptCost: benchConfig().BCRYPT_COST,
  touchIntervalSeconds: benchConfig().SESSION_TOUCH_INTERVAL,
  burstLogins: BURST_LOGINS,
  /** The login burst and the worker processes: fewer, longer runs in a quick run. */
  otherRuns: flags.quick ? 1 : Number(flags.runs ?? 3),
  otherDurationSeconds: Math.max(Number(flags.duration ?? (flags.quick ? 1 : 6)), 2),
  probeRequests: flags.quick ? 10 : 20,
};

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

function perRequest(counts: CommandCounts, requests: number): PerRequest {
  const n = Math.max(1, requests);
  const reads = sum(counts, 'read');
  const writes = sum(counts, 'write');
  const sessionReads = sum(counts, 'read', SESSION_COLLECTIONS);
  const sessionWrites = sum(counts, 'write', SESSION_COLLECTIONS);
  const userReads = sum(counts, 'read', 'users');
  return {
    reads: reads / n,
    writes: writes / n,
    sessionReads: sessionReads / n,
    sessionWrites: sessionWrites / n,
    userReads: userReads / n,
    otherReads: (reads - sessionReads - userReads) / n,
    otherWrites: (writes - sessionWrites) / n,
    other: sum(counts, 'other') / n,
  };
}

function addCounts(a: CommandCounts, b: CommandCounts): CommandCounts {
  const total = { ...a };
  for (const [key, value] of Object.entries(b)) total[key] = (total[key] ?? 0) + value;
  return total;
}

function log(message: string) {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

/** autocannon samples (and stops) once per this many ms: once a second, or more often for short runs. */
const sampleIntervalMs = (durationSeconds: number) => Math.min(1000, durationSeconds * 1000);

function cannon(base: string, options: Options, durationSeconds: number, connections: number) {
  const { path: target = '/', ...rest } = options;
  const url = new URL(target, base).toString();
  if (durationSeconds <= 0) return Promise.resolve(undefined);
  const sampleInt = sampleIntervalMs(durationSeconds);
  return new Promise<autocannon.Result>((resolve, reject) => {
    autocannon(
      { url, connections, pipelining: settings.pipelining, duration: durationSeconds, sampleInt, timeout: 30, ...rest },
      (err, result) => (err ? reject(err) : resolve(result)),
    );
  });
}

function metricsOf(result: autocannon.Result | undefined, counts: CommandCounts): RunMetrics {
  if (!result) throw new Error('a measured run needs a duration');
  const statusCodes: Record<string, number> = {};
  for (const [code, stats] of Object.entries(result.statusCodeStats ?? {})) statusCodes[code] = stats.count ?? 0;
  const ok = result['2xx'] + result['3xx'];
  const bad = result['4xx'] + result['5xx'];
  return {
    // requests.average is per sample: per second unless the run was shorter than one.
    rps: (result.requests.average * 1000) / sampleIntervalMs(result.duration),
    p50: result.latency.p50,
    p99: result.latency.p99,
    responses: ok + bad,
    sent: result.requests.sent,
    ok,
    failed: bad + result.errors + result.timeouts,
    statusCodes,
    counts,
  };
}

function summarize(scenario: ScenarioId, runs: RunMetrics[]): ScenarioSummary {
  const counts = runs.reduce<CommandCounts>((total, run) => addCounts(total, run.counts), {});
  // Requests cut off when a run ended were still served (their commands counted): divide by all sent.
  const sent = runs.reduce((total, run) => total + Math.max(run.sent, run.responses), 0);
  return {
    scenario,
    rps: median(runs.map((r) => r.rps)),
    p50: median(runs.map((r) => r.p50)),
    p99: median(runs.map((r) => r.p99)),
    ok: runs.reduce((total, run) => total + run.ok, 0),
    failed: runs.reduce((total, run) => total + run.failed, 0),
    perRequest: perRequest(counts, sent),
    runs,
  };
}

/** Lets requests still in flight when autocannon stopped finish, so that their commands count. */
const settle = () => new Promise((resolve) => setTimeout(resolve, SETTLE_MS));

/** One measured run: the commands counted from its first request to the last one it sent. */
async function measuredRun(app: AppProcess, options: Options, durationSeconds: number): Promise<RunMetrics> {
  await settle();
  await app.take();
  const result = await cannon(app.url, options, durationSeconds, settings.connections);
  await settle();
  return metricsOf(result, await app.take());
}

/** Logins take a bcrypt comparison each (cost 12): their scenarios run long enough to finish some. */
const durationOf = (scenario: ScenarioId) =>
  scenario === 'S4' ? Math.max(settings.durationSeconds, MIN_LOGIN_SECONDS) : settings.durationSeconds;

/**
 * One scenario on every store: a warm-up each, then `runs` rounds in which each store gets one
 * run, in an order that rotates from round to round, so that the load other work puts on this
 * shared machine falls on every store alike. Medians of the runs.
 */
async function measureScenario(apps: Map<StoreName, StoreApp>, scenario: ScenarioId) {
  const stores = [...apps.keys()];
  const runs = new Map<StoreName, RunMetrics[]>(stores.map((store) => [store, []]));
  for (const [, { app, input }] of apps) {
    await cannon(app.url, scenarioOptions(scenario, input), settings.warmupSeconds, settings.connections);
  }
  for (let round = 0; round < settings.runs; round += 1) {
    for (let i = 0; i < stores.length; i += 1) {
      const store = stores[(i + round) % stores.length]!;
      const { app, input } = apps.get(store)!;
      runs.get(store)!.push(await measuredRun(app, scenarioOptions(scenario, input), durationOf(scenario)));
    }
  }
  const summaries = new Map(stores.map((store) => [store, summarize(scenario, runs.get(store)!)]));
  log(
    `  ${scenario} ` +
      stores
        .map((store) => `${store} ${summaries.get(store)!.rps.toFixed(0)} req/s p99 ${summaries.get(store)!.p99} ms`)
        .join('; '),
  );
  return summaries;
}

/** Sequential requests with exact command counts: what one request costs, and whether it sets a cookie. */
async function probe(app: AppProcess, cookie: string | undefined, email?: string): Promise<Probe> {
  await app.take();
  let setCookies = 0;
  let loggedIn = 0;
  for (let i = 0; i < settings.probeRequests; i += 1) {
    const page = await request(app.url, '/products', { cookie });
    if (page.status !== 200) throw new Error(`probe: GET /products answered ${page.status}`);
    if (page.setCookie) setCookies += 1;
    if (email && page.html.includes(email)) loggedIn += 1;
  }
  const counts = await app.take();
  return {
    requests: settings.probeRequests,
    setCookies,
    loggedIn,
    perRequest: perRequest(counts, settings.probeRequests),
    counts,
  };
}

/** Logs every connection in at once (the bcrypt comparisons queue in the app's pool). */
async function logInAll(url: string, credentials: Credentials[]): Promise<Login[]> {
  return Promise.all(credentials.map((c) => logIn(url, c.email, c.password)));
}

async function clearSessions() {
  for (const name of SESSION_COLLECTIONS) await mongoose.connection.collection(name).deleteMany({});
}

interface StoreApp {
  app: AppProcess;
  input: ScenarioInput;
}

/** Every store's app side by side, each scenario measured on all of them in turn. */
async function benchStores(uri: string, credentials: Credentials[]) {
  await clearSessions();
  const apps = new Map<StoreName, StoreApp>();
  try {
    log(`stores ${settings.stores.join(', ')}: starting, logging ${settings.connections} connections in to each`);
    const mine = credentials.slice(0, settings.connections);
    const started = await Promise.allSettled(settings.stores.map((store) => AppProcess.start(store, uri)));
    started.forEach((result, i) => {
      if (result.status === 'fulfilled')
        apps.set(settings.stores[i]!, { app: result.value, input: { logins: [], credentials: mine } });
    });
    const failed = started.find((result) => result.status === 'rejected');
    if (failed) throw failed.reason;
    await Promise.all(
      [...apps.values()].map(async (entry) => {
        entry.input.logins = await logInAll(entry.app.url, mine);
      }),
    );
    const results: Partial<Record<StoreName, StoreResults>> = {};
    for (const [store, { app, input }] of apps) {
      results[store] = {
        probes: {
          S1: await probe(app, undefined),
          S2: await probe(app, input.logins[0]!.cookie, input.logins[0]!.email),
        },
        scenarios: {},
      };
    }
    for (const scenario of settings.scenarios) {
      const summaries = await measureScenario(apps, scenario);
      for (const [store, summary] of summaries) results[store]!.scenarios[scenario] = summary;
    }
    return results;
  } finally {
    await Promise.all([...apps.values()].map(({ app }) => app.stop()));
  }
}

/**
 * Logged-in GET /products, idle and while 10 connections log in over and over (bcrypt cost 12),
 * with bcryptjs on the main thread (before) and in the worker pool (after).
 */
async function loginBurst(uri: string, credentials: Credentials[]): Promise<BurstVariant[]> {
  const variants: BurstVariant[] = [];
  for (const [name, threads] of [
    ['before: bcryptjs on the main thread', '0'],
    ['after: bcryptjs in the worker pool', undefined],
  ] as const) {
    log(`login burst, ${name}`);
    await clearSessions();
    const app = await AppProcess.start('ours', uri, threads === undefined ? {} : { BENCH_PASSWORD_THREADS: threads });
    try {
      const logins = await logInAll(app.url, credentials.slice(0, settings.connections));
      const pages = scenarioOptions('S2', { logins, credentials });
      const loginLoop = scenarioOptions('S4', { logins, credentials: credentials.slice(0, BURST_LOGINS) });
      await cannon(app.url, pages, settings.warmupSeconds, settings.connections);
      const idle: RunMetrics[] = [];
      const busy: RunMetrics[] = [];
      const loginRuns: RunMetrics[] = [];
      for (let run = 0; run < settings.otherRuns; run += 1) {
        idle.push(metricsOf(await cannon(app.url, pages, settings.otherDurationSeconds, settings.connections), {}));
        // The login loop starts first and ends last, so the pages are measured under it throughout.
        const logging = cannon(app.url, loginLoop, settings.otherDurationSeconds + 2, BURST_LOGINS);
        await new Promise((resolve) => setTimeout(resolve, 1000));
        busy.push(metricsOf(await cannon(app.url, pages, settings.otherDurationSeconds, settings.connections), {}));
        loginRuns.push(metricsOf(await logging, {}));
      }
      const idleSummary = summarize('S2', idle);
      const busySummary = summarize('S2', busy);
      const loginSummary = summarize('S4', loginRuns);
      const variant: BurstVariant = {
        name,
        passwordThreads: threads === undefined ? 'default' : Number(threads),
        idle: { rps: idleSummary.rps, p50: idleSummary.p50, p99: idleSummary.p99 },
        burst: {
          rps: busySummary.rps,
          p50: busySummary.p50,
          p99: busySummary.p99,
          loginsPerSecond: loginSummary.rps,
          loginP99: loginSummary.p99,
          loginFailed: loginSummary.failed,
        },
        throughputRatio: busySummary.rps / idleSummary.rps,
        p99Ratio: busySummary.p99 / Math.max(1, idleSummary.p99),
      };
      log(
        `  idle ${variant.idle.rps.toFixed(0)} req/s p99 ${variant.idle.p99} ms; during logins ${variant.burst.rps.toFixed(0)} req/s p99 ${variant.burst.p99} ms`,
      );
      variants.push(variant);
    } finally {
      await app.stop();
    }
  }
  return variants;
}

/** S2 against `node dist/server.js` with 1 and 2 worker processes (WEB_CONCURRENCY). */
async function clusterRuns(uri: string, credentials: Credentials[]): Promise<ClusterRun[]> {
  log('npm run build (the worker processes run dist/server.js)');
  execFileSync('npm', ['run', 'build'], { cwd: path.join(__dirname, '..'), stdio: 'ignore' });
  const runs: ClusterRun[] = [];
  for (const workers of [1, 2]) {
    log(`cluster, WEB_CONCURRENCY=${workers}`);
    await clearSessions();
    const server = await ServerProcess.start(uri, workers);
    try {
      const logins = await logInAll(server.url, credentials.slice(0, settings.connections));
      const pages = scenarioOptions('S2', { logins, credentials });
      await cannon(server.url, pages, settings.warmupSeconds, settings.connections);
      const measured: RunMetrics[] = [];
      for (let run = 0; run < settings.otherRuns; run += 1) {
        measured.push(
          metricsOf(await cannon(server.url, pages, settings.otherDurationSeconds, settings.connections), {}),
        );
      }
      const s = summarize('S2', measured);
      runs.push({ workers, rps: s.rps, p50: s.p50, p99: s.p99, ok: s.ok, failed: s.failed });
      log(`  ${s.rps.toFixed(0)} req/s, p99 ${s.p99} ms`);
    } finally {
      await server.stop();
    }
  }
  return runs;
}

async function seed(): Promise<Credentials[]> {
  const users = Math.max(settings.connections, BURST_LOGINS);
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
      createdAt: new Date(now - i * 60_000),
    })),
  );
  const credentials = Array.from({ length: users }, (_, i) => ({
    email: `bench-${i}@bench.invalid`,
    password: PASSWORD,
  }));
  await User.insertMany(credentials.map((c) => ({ email: c.email, password })));
  return credentials;
}

async function environment() {
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
    database:
      typeof info.ferretdbVersion === 'string'
        ? `FerretDB ${info.ferretdbVersion} (MongoDB wire protocol ${String(info.version)}, SQLite)`
        : `MongoDB ${String(info.version)}`,
    commit: git(['rev-parse', '--short', 'HEAD']),
  };
}

async function main() {
  const started = Date.now();
  const base = new ConnectionString(process.env.MONGODB_URI ?? 'mongodb://127.0.0.1:27117/');
  base.pathname = `/bench_${Date.now().toString(36)}`;
  const uri = base.toString();
  const config = benchConfig();
  log(`database ${base.pathname.slice(1)} on ${base.hosts.join(',')}; ${settings.quick ? 'quick' : 'full'} run`);
  await connectMongoose(uri, config);
  await Promise.all(Object.values(mongoose.models).map((model) => model.init()));
  let results: Results;
  try {
    const env = await environment();
    const credentials = await seed();
    const stores = settings.skip.has('stores') ? {} : await benchStores(uri, credentials);
    const burst = settings.skip.has('burst') ? [] : await loginBurst(uri, credentials);
    const memory: MemoryReport[] = [];
    if (!settings.skip.has('memory')) {
      for (const store of ['ours', 'memory'] as const) {
        log(`memory, ${store}: ${settings.memorySessions} sessions`);
        memory.push(await measureMemory(store, uri, settings.memorySessions));
      }
    }
    const cluster = settings.skip.has('cluster') ? [] : await clusterRuns(uri, credentials);
    results = {
      env: { ...env, loadAverageAtEnd: os.loadavg().map((l) => Math.round(l * 100) / 100) },
      settings: { ...settings, skip: [...settings.skip], seconds: Math.round((Date.now() - started) / 1000) },
      stores,
      burst,
      memory,
      cluster,
    };
  } finally {
    await mongoose.connection.dropDatabase().catch(() => {});
    await mongoose.disconnect();
  }
  const dir = path.join(__dirname, 'results');
  fs.mkdirSync(dir, { recursive: true });
  const name = `${new Date().toISOString().slice(0, 10)}${settings.quick ? '-quick' : ''}`;
  const written = await writeReports(dir, name, results);
  log(`done in ${Math.round((Date.now() - started) / 1000)} s: ${written.join(', ')}`);
  process.exit(0);
}

async function rewriteReports(file: string) {
  const results = JSON.parse(fs.readFileSync(file, 'utf8')) as Results;
  const written = await writeReports(path.dirname(file), path.basename(file, '.json'), results);
  log(`rewrote ${written.join(', ')}`);
}

(flags.report ? rewriteReports(flags.report) : main()).catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
