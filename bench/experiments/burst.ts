/**
 * Logged-in GET /products, idle and while 10 connections log in over and over (bcrypt cost 12),
 * with bcryptjs on the main thread (before) and in the worker pool (after).
 */
import { cannon, logInAll, metricsOf, summarize } from '../measure';
import { AppProcess } from '../processes';
import { scenarioLoad } from '../scenarios';
import { clearSessions, type BenchUsers } from '../seed';
import { log, settings } from '../settings';
import type { BurstVariant, RunMetrics } from '../types';

export async function loginBurst(uri: string, users: BenchUsers): Promise<BurstVariant[]> {
  const variants: BurstVariant[] = [];
  for (const [name, threads] of [
    ['before: bcryptjs on the main thread', '0'],
    ['after: bcryptjs in the worker pool', undefined],
  ] as const) {
    log(`login burst, ${name}`);
    await clearSessions();
    const app = await AppProcess.start('ours', uri, threads === undefined ? {} : { BENCH_PASSWORD_THREADS: threads });
    try {
      const logins = await logInAll(app.url, users.pages.slice(0, settings.connections));
      const pages = scenarioLoad('S2', { logins, credentials: users.logins });
      const loginLoop = scenarioLoad('S4', { logins, credentials: users.logins.slice(0, settings.burstLogins) });
      await cannon(app.url, pages, settings.warmupSeconds, settings.connections);
      const idle: RunMetrics[] = [];
      const busy: RunMetrics[] = [];
      const loginRuns: RunMetrics[] = [];
      for (let run = 0; run < settings.otherRuns; run += 1) {
        idle.push(metricsOf(await cannon(app.url, pages, settings.otherDurationSeconds, settings.connections), {}));
        // The login loop starts first and ends last, so the pages are measured under it throughout.
        const logging = cannon(app.url, loginLoop, settings.otherDurationSeconds + 2, settings.burstLogins);
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
