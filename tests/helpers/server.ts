import type { ServerCapabilities } from '../../src/db';

/** What the test database can do, as tests/setup/globalSetup.ts detected it. */
export const testServer = JSON.parse(process.env.TEST_DB_CAPABILITIES ?? 'null') as ServerCapabilities;

type Capability = Exclude<keyof ServerCapabilities, 'server'>;

interface ConditionalIt {
  (name: string, body: jest.ProvidesCallback, timeout?: number): void;
  each<T>(table: readonly T[]): (name: string, body: (row: T) => Promise<void>) => void;
}

function conditionalIt(runs: boolean, suffix: string): ConditionalIt {
  const test = runs ? it : it.skip;
  const conditional = (name: string, body: jest.ProvidesCallback, timeout?: number) =>
    test(name + suffix, body, timeout);
  conditional.each =
    <T>(table: readonly T[]) =>
    (name: string, body: (row: T) => Promise<void>) =>
      test.each(table as T[])(name + suffix, body as never);
  return conditional;
}

/**
 * `it` where the test database has `capability`; elsewhere the test is skipped with the server and
 * the reason in its name, so that the report shows what was not run, where, and why.
 */
export function itWhereServerHas(capability: Capability, reason: string): ConditionalIt {
  const runs = testServer[capability];
  return conditionalIt(runs, runs ? '' : ` [skipped on ${testServer.server}: ${reason}]`);
}

/** The opposite of `itWhereServerHas`: for what the app does itself where the server does not. */
export function itWhereServerLacks(capability: Capability, reason: string): ConditionalIt {
  const runs = !testServer[capability];
  return conditionalIt(runs, runs ? '' : ` [skipped on ${testServer.server}: ${reason}]`);
}
