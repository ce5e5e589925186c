/** Driving the app with autocannon and summarizing what came back, counted commands included. */
import autocannon from 'autocannon';
import { SESSION_COLLECTIONS, sum, type CommandCounts } from '../support/commandCounter';
import { logIn, type Login } from './client';
import type { AppProcess } from './processes';
import { SCENARIOS, type Credentials, type Load, type ScenarioId } from './scenarios';
import { Responses, ScenarioFailure } from './responses';
import { minLoginSeconds, settings, settleMs } from './settings';
import type { PerRequest, RunMetrics, ScenarioSummary } from './types';

export const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

export function perRequest(counts: CommandCounts, requests: number): PerRequest {
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

/** autocannon samples (and stops) once per this many ms: once a second, or more often for short runs. */
const sampleIntervalMs = (durationSeconds: number) => Math.min(1000, durationSeconds * 1000);

/** One autocannon run of a scenario, and what its responses were. */
export interface CannonRun {
  result: autocannon.Result;
  responses: Responses;
  unit?: string;
}

/**
 * Runs `load` for `durationSeconds` (nothing for 0) and checks every response: a run with any
 * answer its scenario does not expect, or with timeouts, throws a ScenarioFailure naming them.
 */
export async function cannon(
  base: string,
  load: Load,
  durationSeconds: number,
  connections: number,
  label: string = load.scenario,
): Promise<CannonRun | undefined> {
  if (durationSeconds <= 0) return undefined;
  const responses = new Responses(`${label} ${SCENARIOS[load.scenario]}`);
  const { path: target = '/', ...rest } = load.options(responses);
  const url = new URL(target, base).toString();
  const sampleInt = sampleIntervalMs(durationSeconds);
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    autocannon(
      { url, connections, pipelining: settings.pipelining, duration: durationSeconds, sampleInt, timeout: 30, ...rest },
      (err, done) => (err ? reject(err) : resolve(done)),
    );
  });
  const problems = responses.problems();
  if (result.timeouts > 0)
    problems.push(`${responses.scenario}: ${result.timeouts} requests had no answer within 30 s`);
  if (problems.length) throw new ScenarioFailure(problems.join('\n'));
  return { result, responses, unit: load.unit };
}

const percentile = (values: number[], p: number) => {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return Math.round(sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!);
};

export function metricsOf(run: CannonRun | undefined, counts: CommandCounts): RunMetrics {
  if (!run) throw new Error('a measured run needs a duration');
  const { result, responses, unit } = run;
  const statusCodes: Record<string, number> = {};
  for (const [code, stats] of Object.entries(result.statusCodeStats ?? {})) statusCodes[code] = stats.count ?? 0;
  const ok = result['2xx'] + result['3xx'];
  const bad = result['4xx'] + result['5xx'];
  // A scenario with a unit (a login: GET /login, then its POST) counts that request's right answers.
  const times = unit ? responses.times(unit) : [];
  return {
    // requests.average is per sample: per second unless the run was shorter than one.
    rps: unit
      ? responses.matched(unit) / Math.max(result.duration, 0.001)
      : (result.requests.average * 1000) / sampleIntervalMs(result.duration),
    p50: unit ? percentile(times, 50) : result.latency.p50,
    p99: unit ? percentile(times, 99) : result.latency.p99,
    responses: ok + bad,
    sent: result.requests.sent,
    ok,
    failed: bad + result.errors + result.timeouts,
    statusCodes,
    answers: responses.statuses(),
    ...(unit ? { units: responses.matched(unit) } : {}),
    counts,
  };
}

export function summarize(scenario: ScenarioId, runs: RunMetrics[]): ScenarioSummary {
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
const settle = () => new Promise((resolve) => setTimeout(resolve, settleMs));

/** One measured run: the commands counted from its first request to the last one it sent. */
export async function measuredRun(
  app: AppProcess,
  load: Load,
  durationSeconds: number,
  connections = settings.connections,
): Promise<RunMetrics> {
  await settle();
  await app.take();
  const result = await cannon(app.url, load, durationSeconds, connections);
  await settle();
  return metricsOf(result, await app.take());
}

/**
 * Waits (at most `limitMs`) until the app has no request left unanswered and no database command
 * left unanswered: requests that autocannon abandoned at the end of a run (logins queued for
 * bcrypt, pages waiting on a slow server) would otherwise load the server during the next run.
 */
export async function quiesce(app: AppProcess, limitMs = 120_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (Date.now() < deadline) {
    const { requests, commands } = await app.busy();
    if (requests === 0 && commands === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Logins take a bcrypt comparison each (cost 12): their scenarios run long enough to finish some. */
export const durationOf = (scenario: ScenarioId, seconds = settings.durationSeconds) =>
  scenario === 'S4' ? Math.max(seconds, minLoginSeconds) : seconds;

/**
 * Logs the connections in one at a time: ten cost-12 comparisons queued at once on a busy 2-core
 * machine wait longer than the request's database budget (MONGODB_TIMEOUT_MS), and the shop then
 * answers 503 to the later ones (src/db/deadline.ts counts the wait for bcrypt as the database's).
 */
export async function logInAll(url: string, credentials: Credentials[]): Promise<Login[]> {
  const logins: Login[] = [];
  for (const c of credentials) logins.push(await logIn(url, c.email, c.password));
  return logins;
}
