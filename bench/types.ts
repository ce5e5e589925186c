import type { CommandCounts } from '../support/commandCounter';
import type { CeilingName } from './ceiling';
import type { MemoryReport } from './processes';
import type { ScenarioId } from './scenarios';
import type { StoreName } from './stores';

export interface RunMetrics {
  rps: number;
  p50: number;
  p99: number;
  responses: number;
  /** Requests sent, including those still unanswered when the run ended. */
  sent: number;
  /** 2xx and 3xx (302 is what login and cart posts answer). */
  ok: number;
  /** 4xx, 5xx, connection errors and timeouts. */
  failed: number;
  statusCodes: Record<string, number>;
  /** Every answer by request ("POST /login": { "302 → /": 40 }), each checked against the scenario. */
  answers?: Record<string, Record<string, number>>;
  /** For a scenario that counts one of its requests (S4: the POST of each login), its right answers. */
  units?: number;
  counts: CommandCounts;
}

export interface PerRequest {
  reads: number;
  writes: number;
  sessionReads: number;
  sessionWrites: number;
  userReads: number;
  otherReads: number;
  otherWrites: number;
  other: number;
}

export interface ScenarioSummary {
  scenario: ScenarioId;
  rps: number;
  p50: number;
  p99: number;
  ok: number;
  failed: number;
  perRequest: PerRequest;
  runs: RunMetrics[];
}

export interface Probe {
  requests: number;
  setCookies: number;
  loggedIn: number;
  perRequest: PerRequest;
  counts: CommandCounts;
}

export interface BurstVariant {
  name: string;
  passwordThreads: number | 'default';
  idle: { rps: number; p50: number; p99: number };
  burst: { rps: number; p50: number; p99: number; loginsPerSecond: number; loginP99: number; loginFailed: number };
  throughputRatio: number;
  p99Ratio: number;
}

export interface ClusterRun {
  workers: number;
  rps: number;
  p50: number;
  p99: number;
  ok: number;
  failed: number;
}

export interface StoreResults {
  probes: { S1: Probe; S2: Probe };
  scenarios: Partial<Record<ScenarioId, ScenarioSummary>>;
}

/** The capacity experiment at one level of stored sessions. */
export interface CapacityLevel {
  /** Sessions asked for, and stored when the level's runs began (logins add some as they run). */
  target: number;
  sessions: number;
  scenarios: Partial<Record<ScenarioId, ScenarioSummary>>;
}

export interface Results {
  env: {
    date: string;
    nproc: number;
    cpu: string;
    memoryGb: number;
    loadAverageAtStart: number[];
    loadAverageAtEnd: number[];
    node: string;
    platform: string;
    database: string;
    commit: string;
    /** What `--label` said about the run. */
    label?: string;
  };
  settings: {
    quick: boolean;
    runs: number;
    durationSeconds: number;
    warmupSeconds: number;
    connections: number;
    stores: StoreName[];
    scenarios: ScenarioId[];
    skip: string[];
    memorySessions: number;
    pipelining: number;
    bcryptCost: number;
    touchIntervalSeconds: number;
    burstLogins: number;
    otherRuns: number;
    otherDurationSeconds: number;
    probeRequests: number;
    capacitySessions?: number[];
    seconds: number;
  };
  stores: Partial<Record<StoreName, StoreResults>>;
  /**
   * S2's ceilings (bench/ceiling.ts), measured in the same rounds as the stores' S2; absent from
   * results recorded before they existed.
   */
  ceilings?: Partial<Record<CeilingName, ScenarioSummary>>;
  burst: BurstVariant[];
  memory: MemoryReport[];
  cluster: ClusterRun[];
  /** Absent from results recorded before the experiment existed. */
  capacity?: CapacityLevel[];
}
