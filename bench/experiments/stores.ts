/** Every store's app side by side, each scenario measured on all of them in turn. */
import { request } from '../client';
import { durationOf, logInAll, measuredRun, perRequest, cannon, summarize } from '../measure';
import { AppProcess } from '../processes';
import { scenarioLoad, type ScenarioId, type ScenarioInput } from '../scenarios';
import { clearSessions, type BenchUsers } from '../seed';
import { log, settings } from '../settings';
import type { StoreName } from '../stores';
import type { Probe, RunMetrics, ScenarioSummary, StoreResults } from '../types';
import { CEILINGS, type CeilingName } from '../ceiling';

interface StoreApp {
  app: AppProcess;
  input: ScenarioInput;
}

/** Sequential requests with exact command counts: what one request costs, and whether it sets a cookie. */
async function probe(app: AppProcess, cookie: string | undefined, email?: string): Promise<Probe> {
  await app.take();
  let setCookies = 0;
  let loggedIn = 0;
  for (let i = 0; i < settings.probeRequests; i += 1) {
    const page = await request(app.url, '/products', { cookie });
    if (page.status !== 200) throw new Error(`probe: GET /products answered ${page.status}`);
    if (page.setCookie) setCookies += 1;
    if (email && page.html.includes(email)) loggedIn += 1;
  }
  const counts = await app.take();
  return {
    requests: settings.probeRequests,
    setCookies,
    loggedIn,
    perRequest: perRequest(counts, settings.probeRequests),
    counts,
  };
}

/**
 * One scenario on every store: a warm-up each, then `runs` rounds in which each store gets one
 * run, in an order that rotates from round to round, so that the load other work puts on this
 * shared machine falls on every store alike. Medians of the runs.
 */
async function measureScenario<Name extends string>(apps: Map<Name, StoreApp>, scenario: ScenarioId) {
  const stores = [...apps.keys()];
  const runs = new Map<Name, RunMetrics[]>(stores.map((store) => [store, []]));
  for (const [, { app, input }] of apps) {
    await cannon(app.url, scenarioLoad(scenario, input), settings.warmupSeconds, settings.connections);
  }
  for (let round = 0; round < settings.runs; round += 1) {
    for (let i = 0; i < stores.length; i += 1) {
      const store = stores[(i + round) % stores.length]!;
      const { app, input } = apps.get(store)!;
      runs.get(store)!.push(await measuredRun(app, scenarioLoad(scenario, input), durationOf(scenario)));
    }
  }
  const summaries = new Map(stores.map((store) => [store, summarize(scenario, runs.get(store)!)]));
  log(
    `  ${scenario} ` +
      stores
        .map((store) => `${store} ${summaries.get(store)!.rps.toFixed(0)} req/s p99 ${summaries.get(store)!.p99} ms`)
        .join('; '),
  );
  return summaries;
}

/** The stores' results, and the ceilings of the logged-in page measured beside them (bench/ceiling.ts). */
export interface StoresOutcome {
  stores: Partial<Record<StoreName, StoreResults>>;
  ceilings: Partial<Record<CeilingName, ScenarioSummary>>;
}

export async function benchStores(uri: string, users: BenchUsers): Promise<StoresOutcome> {
  await clearSessions();
  const apps = new Map<StoreName, StoreApp>();
  const ceilings = new Map<CeilingName, AppProcess>();
  try {
    log(`stores ${settings.stores.join(', ')}: starting, logging ${settings.connections} connections in to each`);
    const mine = users.pages.slice(0, settings.connections);
    const loggingIn = users.logins.slice(0, settings.connections);
    const started = await Promise.allSettled(settings.stores.map((store) => AppProcess.start(store, uri)));
    started.forEach((result, i) => {
      if (result.status === 'fulfilled')
        apps.set(settings.stores[i]!, { app: result.value, input: { logins: [], credentials: loggingIn } });
    });
    const failed = started.find((result) => result.status === 'rejected');
    if (failed) throw failed.reason;
    await Promise.all(
      [...apps.values()].map(async (entry) => {
        entry.input.logins = await logInAll(entry.app.url, mine);
      }),
    );
    // The ceilings read our store's sessions: the logins of our app's connections serve them as they are.
    const ours = apps.get('ours');
    if (ours) {
      for (const name of Object.keys(CEILINGS) as CeilingName[]) {
        ceilings.set(name, await AppProcess.start('ours', uri, { BENCH_CEILING: name }));
      }
    }
    const results: Partial<Record<StoreName, StoreResults>> = {};
    const ceilingResults: Partial<Record<CeilingName, ScenarioSummary>> = {};
    for (const [store, { app, input }] of apps) {
      results[store] = {
        probes: {
          S1: await probe(app, undefined),
          S2: await probe(app, input.logins[0]!.cookie, input.logins[0]!.email),
        },
        scenarios: {},
      };
    }
    for (const scenario of settings.scenarios) {
      // The logged-in page takes turns with its ceilings, in the same rounds.
      const withCeilings = new Map<StoreName | CeilingName, StoreApp>(apps);
      if (scenario === 'S2' && ours)
        for (const [name, app] of ceilings) withCeilings.set(name, { app, input: ours.input });
      const summaries = await measureScenario(withCeilings, scenario);
      for (const [name, summary] of summaries) {
        if (name in CEILINGS) ceilingResults[name as CeilingName] = summary;
        else results[name as StoreName]!.scenarios[scenario] = summary;
      }
    }
    return { stores: results, ceilings: ceilingResults };
  } finally {
    await Promise.all([...apps.values()].map(({ app }) => app.stop()));
    await Promise.all([...ceilings.values()].map((app) => app.stop()));
  }
}
