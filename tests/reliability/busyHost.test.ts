import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { once } from 'node:events';
import { someProduct } from '../helpers/shop';
import { useTestDatabase } from '../helpers/testApp';
import { ShopProcess } from '../../support/shopProcess';
import { WebClient, type Page } from '../../support/webClient';

const database = useTestDatabase();

/** Pages of each kind: two forms that need no database for a visitor without a cookie, and the product list. */
const BURSTS = ['/login', '/signup', '/products', '/login', '/signup', '/products'];
const VISITORS = 100;
/** A hog stops by itself after this long, should the test not get to kill it. */
const HOG_LIMIT_MS = 150_000;

/** A process that keeps one core busy; resolves once it spins. */
async function startHog(): Promise<ChildProcess> {
  const spin = `require('node:fs').writeSync(1, 'spinning\\n'); const end = Date.now() + ${HOG_LIMIT_MS}; while (Date.now() < end);`;
  const hog = spawn(process.execPath, ['-e', spin], { stdio: ['ignore', 'pipe', 'ignore'] });
  await once(hog.stdout!, 'data');
  return hog;
}

/** CPU seconds a process has used so far (Linux). */
function cpuSeconds(pid: number): number {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

let shop: ShopProcess;
const hogs: ChildProcess[] = [];

beforeAll(async () => {
  // Something to list, a full page of it.
  for (let i = 0; i < 12; i += 1) await someProduct({ title: `Busy-host product ${i}` });
  // The real server, with the production defaults (MONGODB_TIMEOUT_MS 3000, the driver's monitor).
  shop = await ShopProcess.start({ databaseUri: database(), until: 'healthy' });
}, 120_000);

afterAll(async () => {
  for (const hog of hogs) hog.kill('SIGKILL');
  await shop?.stop();
});

/**
 * The real server (its own process, the production defaults) beside two processes that keep the
 * CPUs busy, and a healthy database: bursts of simultaneous visitors are slow, never turned away.
 * A host short of CPU is not an outage, whatever the driver's monitor makes of it, and a request
 * past its deadline waits on while the database still answers (src/db/deadline.ts).
 */
describe('a busy host with a healthy database', () => {
  it('serves bursts of 100 simultaneous visitors while two other processes keep the CPUs busy, without a 503', async () => {
    hogs.push(await startHog(), await startHog());

    const tally: Array<{ path: string; statuses: Record<number, number>; slowestMs: number }> = [];
    for (const path of BURSTS) {
      const pages: Page[] = await Promise.all(
        Array.from({ length: VISITORS }, () => new WebClient(shop.url, { agent: false }).get(path)),
      );
      const statuses: Record<number, number> = {};
      for (const page of pages) statuses[page.status] = (statuses[page.status] ?? 0) + 1;
      tally.push({ path, statuses, slowestMs: Math.round(Math.max(...pages.map((page) => page.ms))) });
    }
    const busy = hogs.map((hog) => cpuSeconds(hog.pid!).toFixed(1));
    for (const hog of hogs.splice(0)) hog.kill('SIGKILL');

    const unavailable = tally.reduce((sum, burst) => sum + (burst.statuses[503] ?? 0), 0);
    console.log(
      `busy host: ${unavailable} of ${BURSTS.length * VISITORS} answers were 503 (CPU hogs used ${busy.join(' s and ')} s); ` +
        tally
          .map((burst) => `${burst.path} ${JSON.stringify(burst.statuses)} slowest ${burst.slowestMs} ms`)
          .join('; '),
    );
    // Why, if any request failed: the server logs each 5xx with its error.
    const failures = shop.logEntries().filter((entry) => entry.level >= 50);
    if (failures.length > 0) console.log(failures.slice(0, 5).map((entry) => JSON.stringify(entry.err)));
    expect(tally.map(({ path, statuses }) => ({ path, statuses }))).toEqual(
      BURSTS.map((path) => ({ path, statuses: { 200: VISITORS } })),
    );
  }, 180_000);
});
