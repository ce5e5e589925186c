import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const REPO = path.resolve(__dirname, '..');
/** Written after a build that succeeded: its time is the build's. */
const STAMP = path.join(REPO, 'dist', '.built-from-sources');
/** What the build reads: a change to any of them calls for a new build. */
const SOURCES = ['src', 'tsconfig.json', 'tsconfig.build.json', 'package.json'];

function newestChange(file: string): number {
  const stat = fs.statSync(file);
  if (!stat.isDirectory()) return stat.mtimeMs;
  // A deleted or renamed file changes its folder's time.
  return Math.max(stat.mtimeMs, ...fs.readdirSync(file).map((name) => newestChange(path.join(file, name))));
}

/** Whether dist/ was built, by `ensureBuild`, after the last change to the sources. */
export function buildIsCurrent(): boolean {
  if (!fs.existsSync(STAMP)) return false;
  const builtAt = fs.statSync(STAMP).mtimeMs;
  return SOURCES.every((source) => newestChange(path.join(REPO, source)) < builtAt);
}

/**
 * Builds dist/ with `npm run build`, as `npm start` runs it, unless it is current; returns whether
 * it built. The servers that tests, the benchmark and the load test start run this build.
 */
export function ensureBuild(): boolean {
  if (buildIsCurrent()) return false;
  // Stamped before the build starts: a source saved while it runs makes the next run build again.
  const startedAt = new Date();
  fs.rmSync(STAMP, { force: true });
  const build = spawnSync('npm', ['run', 'build', '--silent'], { cwd: REPO, stdio: 'inherit' });
  if (build.status !== 0) throw new Error(`npm run build failed (${build.error?.message ?? `exit ${build.status}`})`);
  fs.writeFileSync(STAMP, '');
  fs.utimesSync(STAMP, startedAt, startedAt);
  return true;
}
