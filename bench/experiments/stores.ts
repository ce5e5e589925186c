/** Every store's app side by side, each scenario measured on all of them in turn. */
import { request } from '../client';
import { durationOf, logInAll, measuredRun, perRequest, cannon, summarize } from '../measure';
import { AppProcess } from '../processes';
import { scenarioOptions, type Credentials, type ScenarioId, type ScenarioInput } from '../scenarios';
import { clearSessions } from '../seed';
import { log, settings } from '../settings';
import type { StoreName } from '../stores';
import type { Probe, RunMetrics, StoreResults } from '../types';

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
async function measureScenario(apps: Map<StoreName, StoreApp>, scenario: ScenarioId) {
  const stores = [...apps.keys()];
  const runs = new Map<StoreName, RunMetrics[]>(stores.map((store) => [store, []]));
  for (const [, { app, input }] of apps) {
    await cannon(app.url, scenarioOptions(scenario, input), settings.warmupSeconds, settings.connections);
  }
  for (let round = 0; round < settings.runs; round += 1) {
    for (let i = 0; i < stores.length; i += 1) {
      const store = stores[(i + round) % stores.length]!;
      const { app, input } = apps.get(store)!;
      runs.get(store)!.push(await measuredRun(app, scenarioOptions(scenario, input), durationOf(scenario)));
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

export async function benchStores(uri: string, credentials: Credentials[]) {
  await clearSessions();
  const apps = new Map<StoreName, StoreApp>();
  try {
    log(`stores ${settings.stores.join(', ')}: starting, logging ${settings.connections} connections in to each`);
    const mine = credentials.slice(0, settings.connections);
    const started = await Promise.allSettled(settings.stores.map((store) => AppProcess.start(store, uri)));
    started.forEach((result, i) => {
      if (result.status === 'fulfilled')
        apps.set(settings.stores[i]!, { app: result.value, input: { logins: [], credentials: mine } });
    });
    const failed = started.find((result) => result.status === 'rejected');
    if (failed) throw failed.reason;
    await Promise.all(
      [...apps.values()].map(async (entry) => {
        entry.input.logins = await logInAll(entry.app.url, mine);
      }),
    );
    const results: Partial<Record<StoreName, StoreResults>> = {};
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
      const summaries = await measureScenario(apps, scenario);
      for (const [store, summary] of summaries) results[store]!.scenarios[scenario] = summary;
    }
    return results;
  } finally {
    await Promise.all([...apps.values()].map(({ app }) => app.stop()));
  }
}
