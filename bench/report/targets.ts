import { CAPACITY_SCENARIOS } from '../experiments/capacity';
import type { StoreName } from '../stores';
import type { Results } from '../types';
import { fmt, per } from './format';

export interface Target {
  target: string;
  measured: string;
  holds: boolean;
}

/** The targets, each judged on this run's numbers (ratios from the same run). */
export function evaluateTargets(r: Results): Target[] {
  const targets: Target[] = [];
  for (const [store, result] of Object.entries(r.stores) as [StoreName, NonNullable<Results['stores'][StoreName]>][]) {
    const s1 = result.probes.S1;
    targets.push({
      target: `S1 (${store}): no session read or write, no Set-Cookie`,
      measured: `${per(s1.perRequest.sessionReads)} reads, ${per(s1.perRequest.sessionWrites)} writes, ${s1.setCookies}/${s1.requests} Set-Cookie`,
      holds: s1.perRequest.sessionReads === 0 && s1.perRequest.sessionWrites === 0 && s1.setCookies === 0,
    });
    if (store !== 'memory') {
      const s2 = result.probes.S2;
      targets.push({
        target: `S2 (${store}): 1 session read + 1 user read, 0 writes (between touches)`,
        measured: `${per(s2.perRequest.sessionReads)} session reads, ${per(s2.perRequest.userReads)} user reads, ${per(s2.perRequest.writes)} writes, logged in ${s2.loggedIn}/${s2.requests}`,
        holds:
          s2.perRequest.sessionReads === 1 &&
          s2.perRequest.userReads === 1 &&
          s2.perRequest.writes === 0 &&
          s2.loggedIn === s2.requests,
      });
    }
  }
  const s2 = (store: StoreName) => r.stores[store]?.scenarios.S2;
  const ours = s2('ours');
  if (ours) {
    const interval = r.settings.touchIntervalSeconds;
    const allowed = r.settings.connections * (Math.floor(r.settings.durationSeconds / interval) + 1);
    const worst = Math.max(...ours.runs.map((run) => run.counts['write:sessions'] ?? 0));
    targets.push({
      target: `S2 (ours) under load: session writes only from the lazy touch (≤ ${allowed} per ${r.settings.durationSeconds} s run)`,
      measured: `at most ${worst} session writes in a run`,
      holds: worst <= allowed,
    });
  }
  for (const [other, min] of [
    ['connect-mongo', 0.9],
    ['memory', 0.5],
  ] as const) {
    const theirs = s2(other);
    if (ours && theirs) {
      const ratio = ours.rps / theirs.rps;
      targets.push({ target: `S2 ours ≥ ${min}× ${other}`, measured: `${fmt(ratio, 2)}×`, holds: ratio >= min });
    }
  }
  const after = r.burst.find((b) => b.passwordThreads !== 0);
  const before = r.burst.find((b) => b.passwordThreads === 0);
  for (const b of [before, after]) {
    if (!b) continue;
    const label = b === after ? 'after (worker pool)' : 'before (main thread, for comparison)';
    targets.push({
      target: `During ${r.settings.burstLogins} concurrent logins, ${label}: S2 ≥ 0.3× idle throughput`,
      measured: `${fmt(b.throughputRatio, 2)}×`,
      holds: b.throughputRatio >= 0.3,
    });
    targets.push({
      target: `During ${r.settings.burstLogins} concurrent logins, ${label}: S2 p99 < 10× idle p99`,
      measured: `${fmt(b.p99Ratio, 1)}× (${b.burst.p99} ms vs ${b.idle.p99} ms)`,
      holds: b.p99Ratio < 10,
    });
  }
  const memOurs = r.memory.find((m) => m.store === 'ours');
  if (memOurs) {
    const growth = Math.max(memOurs.heapAfterCreateMb, memOurs.heapAfterServeMb) - memOurs.heapBeforeMb;
    targets.push({
      target: `Heap growth with ${memOurs.sessions} sessions (ours) < 10 MB`,
      measured: `${fmt(growth, 1)} MB`,
      holds: growth < 10,
    });
  }
  const capacity = r.capacity ?? [];
  const [low, high] = [capacity[0], capacity[capacity.length - 1]];
  // Where the session collection's _id index is used (not FerretDB 1.x, which never uses one).
  if (low && high && low !== high && !r.env.database.startsWith('FerretDB')) {
    for (const scenario of CAPACITY_SCENARIOS) {
      const [a, b] = [low.scenarios[scenario], high.scenarios[scenario]];
      if (!a || !b) continue;
      const ratio = a.rps / b.rps;
      targets.push({
        target: `${scenario} with ${high.sessions} sessions stored: within 1.5× of ${low.sessions} (throughput)`,
        measured: `${fmt(ratio, 2)}× (${fmt(a.rps, 1)} → ${fmt(b.rps, 1)} req/s; p50 ${a.p50} → ${b.p50} ms)`,
        holds: ratio <= 1.5,
      });
    }
  }
  return targets;
}
