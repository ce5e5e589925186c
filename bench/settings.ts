/** The benchmark's command line (`npm run bench -- --quick …`) and what it sets. */
import { parseArgs } from 'node:util';
import { benchConfig } from './benchConfig';
import { SCENARIOS, type ScenarioId } from './scenarios';
import { STORES, type StoreName } from './stores';

export const EXPERIMENTS = ['stores', 'burst', 'memory', 'cluster', 'capacity'] as const;
export type Experiment = (typeof EXPERIMENTS)[number];

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
    /** Only these experiments (comma-separated); `--skip` then leaves out some of them. */
    only: { type: 'string' },
    sessions: { type: 'string' },
    /** Stored sessions of the capacity experiment: two or more levels, smallest first (default 100,20000; quick 100,2000). */
    'capacity-sessions': { type: 'string' },
    /** Words for the report's name and heading, e.g. what code was measured when not the commit's. */
    label: { type: 'string' },
    /** Writes the .md and .svg of a recorded .json again (after a change to the report), runs nothing. */
    report: { type: 'string' },
    /** Profiles one scenario (the first of `--scenarios`, default S2) for `--duration` s (default 20): bench/profile.ts. */
    profile: { type: 'boolean', default: false },
  },
});

export const profileRequested = flags.profile ?? false;
export const profileSeconds = Number(flags.duration ?? 20);

export const reportToRewrite = flags.report;
export const label = flags.label;
export const settleMs = flags.quick ? 150 : 300;
export const minLoginSeconds = flags.quick ? 1 : 2;

const chosen = flags.only ? flags.only.split(',') : [...EXPERIMENTS];
const skipped = (flags.skip ?? (flags.quick && !flags.only ? 'cluster' : '')).split(',').filter(Boolean);
// A quick run keeps the large level small: filling FerretDB with 20 000 sessions is not a smoke test.
const capacityLevels = (flags['capacity-sessions'] ?? (flags.quick ? '100,2000' : '100,20000')).split(',').map(Number);
if (capacityLevels.length < 2 || capacityLevels.some((n) => !Number.isInteger(n) || n < 20)) {
  throw new Error('--capacity-sessions takes two or more counts of at least 20, e.g. 100,20000');
}

export const settings = {
  quick: flags.quick ?? false,
  runs: Number(flags.runs ?? 3),
  durationSeconds: Number(flags.duration ?? (flags.quick ? 0.5 : 6)),
  warmupSeconds: Number(flags.warmup ?? (flags.quick ? 0 : 2)),
  connections: Number(flags.connections ?? 10),
  stores: (flags.stores?.split(',') ?? [...STORES]) as StoreName[],
  scenarios: (flags.scenarios?.split(',') ?? Object.keys(SCENARIOS)) as ScenarioId[],
  /** Whether `--scenarios` was given (the profile's default is S2, not the first of all). */
  scenarioFlag: flags.scenarios !== undefined,
  /** Experiments left out (a quick run leaves out cluster, which needs a build). */
  skip: new Set<string>([...skipped, ...EXPERIMENTS.filter((e) => !chosen.includes(e))]),
  // FerretDB 1.x updates scan the whole collection, so creating sessions one by one through the
  // store takes time that grows with their square: 10 000 take minutes there.
  memorySessions: Number(flags.sessions ?? (flags.quick ? 500 : 10_000)),
  pipelining: 1,
  bcryptCost: benchConfig().BCRYPT_COST,
  touchIntervalSeconds: benchConfig().SESSION_TOUCH_INTERVAL,
  burstLogins: 10,
  /** The login burst, the worker processes and the capacity levels: fewer, longer runs in a quick run. */
  otherRuns: flags.quick ? 1 : Number(flags.runs ?? 3),
  otherDurationSeconds: Math.max(Number(flags.duration ?? (flags.quick ? 1 : 6)), 2),
  probeRequests: flags.quick ? 10 : 20,
  /** Sessions stored while the capacity experiment measures, one level per count. */
  capacitySessions: capacityLevels,
};

export type Settings = typeof settings;

export function log(message: string) {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}
