/** S2 against `node dist/server.js` with 1 and 2 worker processes (WEB_CONCURRENCY). */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { cannon, logInAll, metricsOf, summarize } from '../measure';
import { ServerProcess } from '../processes';
import { scenarioLoad, type Credentials } from '../scenarios';
import { clearSessions } from '../seed';
import { log, settings } from '../settings';
import type { ClusterRun, RunMetrics } from '../types';

export async function clusterRuns(uri: string, credentials: Credentials[]): Promise<ClusterRun[]> {
  log('npm run build (the worker processes run dist/server.js)');
  execFileSync('npm', ['run', 'build'], { cwd: path.join(__dirname, '..', '..'), stdio: 'ignore' });
  const runs: ClusterRun[] = [];
  for (const workers of [1, 2]) {
    log(`cluster, WEB_CONCURRENCY=${workers}`);
    await clearSessions();
    const server = await ServerProcess.start(uri, workers);
    try {
      const logins = await logInAll(server.url, credentials.slice(0, settings.connections));
      const pages = scenarioLoad('S2', { logins, credentials });
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
