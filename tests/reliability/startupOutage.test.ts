import { uniqueEmail } from '../helpers/http';
import { useTestDatabase } from '../helpers/testApp';
import { ShopProcess } from '../../support/shopProcess';
import { logIn, signUp } from '../../support/shopFlows';
import { waitFor } from '../../support/waitFor';
import { WebClient } from '../../support/webClient';
import { leaksIn } from './support/pages';
import { FAST_FAILURE } from './support/proxiedApp';
import { TcpProxy, databaseServer, throughProxy } from './support/tcpProxy';

const database = useTestDatabase();
let proxy: TcpProxy | undefined;
let server: ShopProcess | undefined;

afterAll(async () => {
  await server?.stop();
  await proxy?.close();
});

describe('MongoDB down when the server starts', () => {
  it('answers 503 without crashing, then serves pages and logins once MongoDB is up, without a restart', async () => {
    proxy = await TcpProxy.start(databaseServer());
    proxy.cut();
    server = await ShopProcess.start({ databaseUri: throughProxy(database(), proxy), env: FAST_FAILURE });
    const running = server;
    const client = new WebClient(running.url, { agent: false });

    // Long enough for several connection attempts to fail.
    await waitFor(
      'two failed connection attempts',
      async () => running.logEntries().filter((entry) => entry.msg === 'MongoDB is not reachable yet').length >= 2,
    );
    for (const path of ['/', '/login', '/products']) {
      const page = await client.get(path);
      expect([path, page.status, page.headers['retry-after']]).toEqual([path, 503, '5']);
      expect(leaksIn(page.text)).toEqual([]);
    }
    expect(await running.health()).toBe(503);
    expect(running.isRunning).toBe(true);

    proxy.restore();
    const restoredAt = Date.now();
    await running.waitUntil('is ready', (status) => status === 200, 20_000);
    await waitFor('the home page', async () => (await client.get('/')).status === 200, 5000);
    expect(Date.now() - restoredAt).toBeLessThan(15_000);

    // A login needs the session store, created only once MongoDB answered.
    const email = uniqueEmail('startup');
    await signUp(client, email, running.outboxDir);
    await logIn(client, email);
    const account = await client.get('/account');
    expect(account.status).toBe(200);
    expect(account.text).toContain(email);

    // One more answer: whatever the login left pending in the server has had its turn.
    expect(await running.health()).toBe(200);
    expect(running.isRunning).toBe(true);
    const lastResort = running.logEntries().filter((entry) => /unhandled|uncaught/.test(entry.msg ?? ''));
    expect(lastResort).toEqual([]);
  }, 90_000);
});
