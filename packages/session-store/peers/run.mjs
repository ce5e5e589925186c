// Runs two peers' own test suites (vendored beside this file) against our store and against the
// stores they were written for, and writes their pass counts as a markdown table to stdout and to
// results.md. Each suite × store runs in a mocha process of its own, on a fresh database of the
// MongoDB server at MONGODB_URI (dropped before and after). Exits 1 when our store fails a test
// that expected-differences.json does not list, or when a run of ours gives no complete result.
//
//   MONGODB_URI=mongodb://127.0.0.1:27017/ node packages/session-store/peers/run.mjs
//
// PEERS_LOCK=/path/to/lockfile runs each mocha process under `flock` on that file, so that no two
// test suites run at once on a small machine. Each run's log is left in $TMPDIR/session-store-peers/.
// See README.md.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const { MongoClient } = require('mongodb');
const { STORES, ourStoreSource } = require('./stores.js');

const RUN_TIMEOUT_S = 600;
// Once a suite has reported, its process should exit by itself (every client closed); past this it is killed.
const EXIT_GRACE_MS = 20_000;

const SUITES = [
  {
    name: 'express-session',
    tag: 'v1.19.0',
    // As upstream's `npm test`, except the reporter, and the preload that closes the stores' clients.
    args: ['--require', 'test/support/env', '--check-leaks', 'test/'],
    stores: ['ours', 'connect-mongo', 'connect-mongodb-session', 'memory'],
  },
  {
    name: 'connect-mongodb-session',
    tag: '5.0.0',
    args: ['test/*.test.js'],
    stores: ['ours', 'connect-mongodb-session'],
  },
];

const uri = process.env.MONGODB_URI;
if (!uri) {
  console.error('run.mjs: set MONGODB_URI to the MongoDB server to run the suites on');
  process.exit(2);
}
let mochaBin;
try {
  mochaBin = require.resolve('mocha/bin/mocha.js');
} catch {
  console.error("run.mjs: mocha is missing: install the package's devDependencies (mocha, sinon, after)");
  process.exit(2);
}
const outputDir = path.join(os.tmpdir(), 'session-store-peers');
fs.mkdirSync(outputDir, { recursive: true });
const expected = JSON.parse(fs.readFileSync(path.join(here, 'expected-differences.json'), 'utf8'));

const installed = (name) => require(`${name}/package.json`).version;
const shortName = { 'express-session': 'es', 'connect-mongodb-session': 'cms' };
const shortStore = { ours: 'ours', 'connect-mongo': 'cmongo', 'connect-mongodb-session': 'cmsess', memory: 'memory' };

const admin = new MongoClient(uri);
async function dropDatabases(prefix) {
  const { databases } = await admin.db('admin').admin().listDatabases({ nameOnly: true });
  for (const { name } of databases) if (name.startsWith(prefix)) await admin.db(name).dropDatabase();
}

/** Runs one mocha process; resolves to how it ended. */
function runMocha(suiteDir, args, env, resultFile, logFile) {
  const mocha = [
    ...['timeout', '--foreground', String(RUN_TIMEOUT_S)],
    process.execPath,
    mochaBin,
    ...['--require', './preload.js', '--reporter', path.join(here, 'reporter.js')],
    ...['--reporter-option', `output=${resultFile}`],
  ];
  const command = process.env.PEERS_LOCK ? ['flock', process.env.PEERS_LOCK, ...mocha] : mocha;
  const log = fs.openSync(logFile, 'w');
  return new Promise((resolve) => {
    // Its own process group, so that a hung run is killed whole (flock, timeout, node).
    const child = spawn(command[0], [...command.slice(1), ...args], {
      cwd: suiteDir,
      env: { ...process.env, ...env },
      stdio: ['ignore', log, log],
      detached: true,
    });
    let hung = false;
    let grace;
    const poll = setInterval(() => {
      if (grace || !fs.existsSync(resultFile)) return;
      grace = setTimeout(() => {
        hung = true;
        process.kill(-child.pid, 'SIGKILL');
      }, EXIT_GRACE_MS);
    }, 1000);
    child.on('exit', (code) => {
      clearInterval(poll);
      clearTimeout(grace);
      fs.closeSync(log);
      resolve({ code, hung });
    });
  });
}

async function runSuite(suite, store) {
  const database = `peers_${shortName[suite.name]}_${shortStore[store]}`;
  const base = path.join(outputDir, `${suite.name}.${store}`);
  const resultFile = `${base}.json`;
  fs.rmSync(resultFile, { force: true });
  await dropDatabases(database);
  const started = Date.now();
  const env = { PEERS_STORE: store, PEERS_DB: database, MONGODB_URI: uri };
  const { code, hung } = await runMocha(path.join(here, suite.name), suite.args, env, resultFile, `${base}.log`);
  await dropDatabases(database);
  const seconds = Math.round((Date.now() - started) / 1000);
  const problems = [];
  if (hung) problems.push(`did not exit by itself after its tests (killed after ${EXIT_GRACE_MS / 1000} s)`);
  if (code === 124) problems.push(`timed out after ${RUN_TIMEOUT_S} s`);
  if (!fs.existsSync(resultFile)) {
    problems.push(`gave no result (exit code ${code}; see ${base}.log)`);
    return { store, failures: [], problems, seconds };
  }
  const { total, passed, pending, failures } = JSON.parse(fs.readFileSync(resultFile, 'utf8'));
  const failed = total - passed - pending; // failed, or kept from running by a failed hook
  const notRun = failed - failures.filter((f) => !f.hook).length;
  if (notRun > 0) problems.push(`${notRun} tests did not run (a hook failed, or the run stopped)`);
  return { store, total, passed, failed, failures, problems, seconds };
}

/** Where express-session's suite expects the TLS certificate that its own `npm test` makes first. */
function makeCertificate() {
  const dir = path.join(here, 'express-session');
  if (fs.existsSync(path.join(dir, 'test', 'fixtures', 'server.crt'))) return;
  const made = spawnSync('sh', ['test/support/gencert.sh'], { cwd: dir, stdio: 'ignore' });
  if (made.status !== 0) console.error('run.mjs: could not make the TLS certificate (openssl?): one test will fail');
}

const cell = (run) => (!run ? '–' : run.total === undefined ? 'no result' : `${run.passed}/${run.failed}/${run.total}`);
// An error message as inline code on one line of a list or table.
const code = (text) =>
  `\`${text.replaceAll(`${here}${path.sep}`, '').replace(/`/g, "'").replace(/\|/g, '\\|').slice(0, 200)}\``;

/** A markdown table with its columns padded, as prettier writes one. */
function table(rows) {
  const widths = rows[0].map((_, i) => Math.max(3, ...rows.map((row) => row[i].length)));
  const line = (row) => `| ${row.map((text, i) => text.padEnd(widths[i])).join(' | ')} |`;
  return [line(rows[0]), line(widths.map((w) => '-'.repeat(w))), ...rows.slice(1).map(line)];
}

try {
  makeCertificate();
  const buildInfo = await admin.db('admin').command({ buildInfo: 1 });
  const server = [buildInfo.version, buildInfo.ferretdbVersion && `FerretDB ${buildInfo.ferretdbVersion}`]
    .filter(Boolean)
    .join(', ');
  const results = [];
  for (const suite of SUITES) {
    if (installed(suite.name) !== suite.tag.replace(/^v/, '')) {
      console.error(`run.mjs: ${suite.name} ${installed(suite.name)} is installed, its suite here is ${suite.tag}`);
    }
    const runs = {};
    // --ours-only (CI): the verdict is about our store; the peers' counts are for the README.
    for (const store of suite.stores.filter((name) => !process.argv.includes('--ours-only') || name === 'ours')) {
      const run = await runSuite(suite, store);
      runs[store] = run;
      console.error(
        `${suite.name} × ${store}: ${cell(run)} passed/failed/total in ${run.seconds} s` +
          (run.problems.length ? `; ${run.problems.join('; ')}` : ''),
      );
    }
    results.push({ suite, runs });
  }

  const stores = Object.keys(STORES);
  const lines = [
    '# Peer suites',
    '',
    `Server: ${new URL(uri).host} (buildInfo ${server}). Our store: ${path.relative(path.dirname(here), ourStoreSource())}.`,
    `Installed: express-session ${installed('express-session')}, connect-mongodb-session ${installed('connect-mongodb-session')}, ` +
      `connect-mongo ${installed('connect-mongo')}, mongodb ${installed('mongodb')}.`,
    '',
    'Each cell: passed/failed/total.',
    '',
    ...table([
      ['suite', ...stores.map((s) => STORES[s])],
      ...results.map(({ suite, runs }) => [`${suite.name} ${suite.tag}`, ...stores.map((s) => cell(runs[s]))]),
    ]),
  ];

  let unexpected = 0;
  for (const { suite, runs } of results) {
    const ours = runs.ours;
    const listed = expected[suite.name] ?? {};
    lines.push('', `## ${suite.name}: failures of ours`, '');
    for (const problem of ours.problems) {
      lines.push(`- **${problem}**`);
      // Tests kept from running by a hook: the hook's failure is counted below.
      if (!problem.includes('did not run')) unexpected++;
    }
    for (const failure of ours.failures) {
      const reason = listed[failure.title];
      if (!reason) unexpected++;
      const line = `- ${reason ? 'expected' : '**UNEXPECTED**'}: ${failure.title}: ${code(failure.error)}`;
      lines.push(reason ? `${line}\n  (${reason})` : line);
    }
    if (!ours.problems.length && !ours.failures.length) lines.push('None.');
    const stale = Object.keys(listed).filter((title) => !ours.failures.some((f) => f.title === title));
    if (ours.total !== undefined && stale.length)
      lines.push('', `Listed as expected, but passed: ${stale.join('; ')}.`);
    for (const [store, run] of Object.entries(runs)) {
      if (store === 'ours' || !(run.failures.length || run.problems.length)) continue;
      lines.push('', `<details><summary>${suite.name}: failures of ${STORES[store]}</summary>`, '');
      for (const problem of run.problems) lines.push(`- **${problem}**`);
      for (const failure of run.failures) lines.push(`- ${failure.title}: ${code(failure.error)}`);
      lines.push('', '</details>');
    }
  }
  lines.push('', unexpected ? `**${unexpected} unexpected failures of ours.**` : 'No unexpected failures of ours.');

  const markdown = `${lines.join('\n')}\n`;
  fs.writeFileSync(path.join(here, 'results.md'), markdown);
  process.stdout.write(markdown);
  process.exitCode = unexpected ? 1 : 0;
} finally {
  await admin.close();
}
