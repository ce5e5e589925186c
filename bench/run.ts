/**
 * `npm run bench [-- --quick] [--only capacity]`: the session benchmark. See docs/performance.md
 * for what it measures and how to read it. Results go to
 * bench/results/<date>[-quick][-<experiments>].{json,md,svg}. Each experiment is a module of
 * bench/experiments/; this file connects, seeds, runs the chosen ones and writes the reports.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ConnectionString from 'mongodb-connection-string-url';
import mongoose from 'mongoose';
import { connectMongoose, isDatabaseUnavailable, serverCapabilities } from '../src/db';
import { benchConfig } from './benchConfig';
import { loginBurst } from './experiments/burst';
import { capacityRuns } from './experiments/capacity';
import { clusterRuns } from './experiments/cluster';
import { memoryRuns } from './experiments/memory';
import { benchStores } from './experiments/stores';
import { writeReports } from './report';
import { environment, seed } from './seed';
import { rewriteProfileReport, runProfile } from './profile';
import { EXPERIMENTS, label, log, profileRequested, reportToRewrite, settings } from './settings';
import { ScenarioFailure } from './responses';
import type { Results } from './types';

/** How long the bench looks for its database before saying there is none. */
const FIND_DATABASE_MS = 3000;

/** FerretDB as `scripts/test-db.sh start` runs it by default. */
const DEFAULT_URI = 'mongodb://127.0.0.1:27117/';

/** The report's name: the date, what a partial run ran, and the server unless it is FerretDB (the default). */
function reportName(): string {
  const ran = EXPERIMENTS.filter((e) => !settings.skip.has(e));
  const partial = settings.quick ? ran.length < EXPERIMENTS.length - 1 : ran.length < EXPERIMENTS.length;
  const { server } = serverCapabilities();
  return [
    new Date().toISOString().slice(0, 10),
    settings.quick ? 'quick' : '',
    partial ? ran.join('+') : '',
    server === 'ferretdb' ? '' : server,
    label?.replace(/[^\w.-]+/g, '-') ?? '',
  ]
    .filter(Boolean)
    .join('-');
}

async function main() {
  const started = Date.now();
  const base = new ConnectionString(process.env.MONGODB_URI ?? DEFAULT_URI);
  base.pathname = `/bench_${Date.now().toString(36)}`;
  const uri = base.toString();
  const server = base.hosts.join(',');
  const config = benchConfig();
  try {
    // The apps get a long database budget (benchConfig.ts); whether a database is there at all is
    // known sooner.
    await connectMongoose(uri, config, { serverSelectionTimeoutMS: FIND_DATABASE_MS });
  } catch (err) {
    if (!isDatabaseUnavailable(err)) throw err;
    console.error(
      `bench: no database answered at ${server} within ${FIND_DATABASE_MS / 1000} s; start one ` +
        `(scripts/test-db.sh start, or scripts/mongo-java-server.sh start) and set MONGODB_URI to it.`,
    );
    process.exit(1);
  }
  const dir = path.join(__dirname, 'results');
  fs.mkdirSync(dir, { recursive: true });
  const name = reportName();
  // The apps' logs (a failed mail's stack trace, a 503's warning) go to a file, not among the results.
  process.env.BENCH_LOG_FILE = path.join(dir, `${name}.log`);
  fs.writeFileSync(process.env.BENCH_LOG_FILE, '');
  log(
    `database ${base.pathname.slice(1)} on ${server}; ${settings.quick ? 'quick' : 'full'} run; app logs in ${path.relative(process.cwd(), process.env.BENCH_LOG_FILE)}`,
  );
  await Promise.all(Object.values(mongoose.models).map((model) => model.init()));
  const runs = (experiment: string) => !settings.skip.has(experiment);
  let results: Results;
  try {
    const env = await environment();
    const users = await seed();
    const { stores, ceilings } = runs('stores') ? await benchStores(uri, users) : { stores: {}, ceilings: {} };
    const burst = runs('burst') ? await loginBurst(uri, users) : [];
    const memory = runs('memory') ? await memoryRuns(uri) : [];
    const cluster = runs('cluster') ? await clusterRuns(uri, users.pages) : [];
    const capacity = runs('capacity') ? await capacityRuns(uri) : [];
    results = {
      env: { ...env, label, loadAverageAtEnd: os.loadavg().map((l) => Math.round(l * 100) / 100) },
      settings: { ...settings, skip: [...settings.skip], seconds: Math.round((Date.now() - started) / 1000) },
      stores,
      ceilings,
      burst,
      memory,
      cluster,
      capacity,
    };
  } finally {
    await mongoose.connection.dropDatabase().catch(() => {});
    await mongoose.disconnect();
  }
  const written = await writeReports(dir, name, results);
  log(`done in ${Math.round((Date.now() - started) / 1000)} s: ${written.join(', ')}`);
  process.exit(0);
}

async function rewriteReports(file: string) {
  if (file.endsWith('.cpuprofile')) return rewriteProfileReport(file);
  const results = JSON.parse(fs.readFileSync(file, 'utf8')) as Results;
  const written = await writeReports(path.dirname(file), path.basename(file, '.json'), results);
  log(`rewrote ${written.join(', ')}`);
}

(reportToRewrite ? rewriteReports(reportToRewrite) : profileRequested ? runProfile() : main()).catch((err: unknown) => {
  // The database went away mid-run: say so in one line; anything else is a bug worth its stack.
  if (isDatabaseUnavailable(err)) console.error(`bench: lost the database (${(err as Error).message})`);
  // A scenario got answers it should not have: its rate would count them; no report is written.
  else if (err instanceof ScenarioFailure) console.error(`bench: failed, no report written.\n${err.message}`);
  else console.error(err);
  process.exit(1);
});
