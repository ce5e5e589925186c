import { spawnSync } from 'node:child_process';
import path from 'node:path';

const BUILD_SCRIPT = path.resolve(__dirname, '..', 'scripts', 'build.js');

/**
 * Builds dist/ as `npm start` does (scripts/build.js), unless it is current; returns whether it
 * built. The servers that tests, the benchmark and the load test start run this build.
 */
export function ensureBuild(): boolean {
  const build = spawnSync(process.execPath, [BUILD_SCRIPT, '--if-stale', '--report'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (build.status !== 0) throw new Error(`the build failed (${build.error?.message ?? `exit ${build.status}`})`);
  return build.stdout.toString().includes('built');
}
