/**
 * What a scenario's responses must be, and what they were: every request of a scenario names its
 * expected status (and, for a redirect, where to), and every response is tallied against it. A run
 * with any other answer fails the benchmark, naming the scenario, what was expected and what came.
 */

export interface Expected {
  /** How the report names the request, e.g. "POST /login". */
  request: string;
  status: number;
  /** For a redirect: the Location it must name. */
  location?: string;
}

interface Tally {
  expected: Expected;
  matched: number;
  /** Other answers, by "status" or "status → location". */
  other: Map<string, number>;
  /** Response times (ms) of the matched responses, when the request measures them. */
  times: number[];
}

const describe = (status: number, location?: string) =>
  location === undefined ? `${status}` : `${status} → ${location}`;

/** The header `name` of autocannon's key-value headers (any case; the first value of several). */
export function headerOf(headers: Record<string, string | string[]>, name: string): string[] {
  const wanted = name.toLowerCase();
  return Object.entries(headers)
    .filter(([key]) => key.toLowerCase() === wanted)
    .flatMap(([, value]) => value);
}

/** The responses of one run of one scenario. */
export class Responses {
  private readonly tallies = new Map<string, Tally>();

  constructor(readonly scenario: string) {}

  /**
   * A recorder for one kind of request: call it with each response's status and Location (and, for
   * a page that is not the one asked for, what it was instead).
   */
  expect(expected: Expected): (status: number, location?: string, ms?: number, wrongPage?: string) => void {
    const tally: Tally = this.tallies.get(expected.request) ?? { expected, matched: 0, other: new Map(), times: [] };
    this.tallies.set(expected.request, tally);
    return (status, location, ms, wrongPage) => {
      const ok =
        wrongPage === undefined &&
        status === expected.status &&
        (expected.location === undefined || location === expected.location);
      if (ok) {
        tally.matched += 1;
        if (ms !== undefined) tally.times.push(ms);
      } else {
        const key = wrongPage ?? describe(status, expected.location === undefined ? undefined : location);
        tally.other.set(key, (tally.other.get(key) ?? 0) + 1);
      }
    };
  }

  /** Responses to `request` that were what it expected. */
  matched(request: string): number {
    return this.tallies.get(request)?.matched ?? 0;
  }

  /** Response times of the matched answers to `request`, in ms. */
  times(request: string): number[] {
    return this.tallies.get(request)?.times ?? [];
  }

  /** Every answer, by request: "GET /login: 200 ×35", for the results. */
  statuses(): Record<string, Record<string, number>> {
    const out: Record<string, Record<string, number>> = {};
    for (const [request, t] of this.tallies) {
      out[request] = {
        ...(t.matched ? { [describe(t.expected.status, t.expected.location)]: t.matched } : {}),
        ...Object.fromEntries(t.other),
      };
    }
    return out;
  }

  /** One sentence per kind of request that got answers it should not have; empty when all were right. */
  problems(): string[] {
    return [...this.tallies.values()]
      .filter((t) => t.other.size > 0)
      .map((t) => {
        const got = [...t.other].map(([answer, n]) => `${answer} ×${n}`).join(', ');
        const want = describe(t.expected.status, t.expected.location);
        return `${this.scenario}: ${t.expected.request} expected ${want}, got ${got}${t.matched ? ` (and ${want} ×${t.matched})` : ''}`;
      });
  }
}

/** A run whose responses were not what its scenario expects: the benchmark stops with this message. */
export class ScenarioFailure extends Error {
  override name = 'ScenarioFailure';
}
