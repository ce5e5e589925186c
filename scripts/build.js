#!/usr/bin/env node
// Builds the session store package (packages/session-store, which the shop requires as a dependency)
// and then dist/ (tsc, then the password worker, which is plain JavaScript), or, with --if-stale,
// only when a source changed since the last build: `npm start`, `seed`, `admin`, `load` and the
// test runs then start at once instead of compiling everything again. Prints nothing when current.
// Plain JavaScript on purpose: it runs before anything is compiled, with node alone.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const REPO = path.resolve(__dirname, '..');
/** Written after a build that succeeded; its time is when that build started. */
const STAMP = path.join(REPO, 'dist', '.built-from-sources');
/** What the build reads: a change to any of them calls for a new build. */
const SOURCES = ['src', 'tsconfig.json', 'tsconfig.build.json', 'package.json'];

function newestChange(file) {
  const stat = fs.statSync(file);
  if (!stat.isDirectory()) return stat.mtimeMs;
  // A deleted or renamed file changes its folder's time.
  return Math.max(stat.mtimeMs, ...fs.readdirSync(file).map((name) => newestChange(path.join(file, name))));
}

function buildIsCurrent() {
  if (!fs.existsSync(STAMP)) return false;
  const builtAt = fs.statSync(STAMP).mtimeMs;
  return SOURCES.every((source) => newestChange(path.join(REPO, source)) < builtAt);
}

/** The session store package: the shop's build type-checks against its declarations and runs its dist/. */
const STORE_PACKAGE = path.join(REPO, 'packages', 'session-store');
const STORE_BUILT = path.join(STORE_PACKAGE, 'dist', 'esm', 'index.mjs');
const STORE_SOURCES = ['src', 'tsconfig.json', 'tsconfig.build.json', 'package.json', 'scripts'];

function storePackageIsCurrent() {
  if (!fs.existsSync(STORE_BUILT)) return false;
  const builtAt = fs.statSync(STORE_BUILT).mtimeMs;
  return STORE_SOURCES.every((source) => newestChange(path.join(STORE_PACKAGE, source)) < builtAt);
}

function buildStorePackage() {
  const built = spawnSync(process.execPath, [path.join(STORE_PACKAGE, 'scripts', 'build.mjs')], { stdio: 'inherit' });
  if (built.status !== 0) process.exit(built.status ?? 1);
}

function build() {
  // The stamp gets the start time: a source saved while the build runs makes the next run build again.
  const startedAt = new Date();
  fs.rmSync(STAMP, { force: true });
  const tsc = path.join(path.dirname(require.resolve('typescript/package.json', { paths: [REPO] })), 'bin', 'tsc');
  const compiled = spawnSync(process.execPath, [tsc, '-p', path.join(REPO, 'tsconfig.build.json')], {
    stdio: 'inherit',
  });
  if (compiled.status !== 0) process.exit(compiled.status ?? 1);
  fs.copyFileSync(
    path.join(REPO, 'src', 'lib', 'passwordWorker.js'),
    path.join(REPO, 'dist', 'lib', 'passwordWorker.js'),
  );
  fs.writeFileSync(STAMP, '');
  fs.utimesSync(STAMP, startedAt, startedAt);
}

const ifStale = process.argv.includes('--if-stale');
if (process.argv.includes('--store-package')) {
  // Only the package (typecheck and the test run need its declarations and dist/, not the shop's).
  if (!(ifStale && storePackageIsCurrent())) buildStorePackage();
  process.exit(0);
}
const storeCurrent = storePackageIsCurrent();
if (ifStale && storeCurrent && buildIsCurrent()) process.exit(0);
if (!storeCurrent) buildStorePackage();
build();
// For support/build.ts, which tells the test run whether it waited for a build.
if (process.argv.includes('--report')) console.log('built');
