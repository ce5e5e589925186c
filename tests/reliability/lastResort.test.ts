import path from 'node:path';
import { useTestDatabase } from '../helpers/testApp';
import { ShopProcess } from '../../support/shopProcess';
import { waitFor } from '../../support/waitFor';
import { FAST_FAILURE } from './support/proxiedApp';

const database = useTestDatabase();
let server: ShopProcess | undefined;

afterAll(async () => {
  await server?.stop();
});

const FATAL = 60;
const ERROR = 50;

describe("the server's last-resort handlers", () => {
  it('logs an unhandled rejection and keeps serving; logs an uncaught exception and exits 1', async () => {
    server = await ShopProcess.start({
      databaseUri: database(),
      env: FAST_FAILURE,
      preload: [path.join(__dirname, 'support', 'injectFaults.ts')],
      ipc: true,
    });
    await server.waitUntil('is ready', (status) => status === 200);
    const running = server;

    running.send('reject');
    const logged = await waitFor('the rejection in the log', async () =>
      running.logEntries().find((entry) => entry.msg === 'unhandled promise rejection'),
    );
    expect(logged.level).toBe(ERROR);
    expect(JSON.stringify(logged)).toContain('injected rejection that nobody handles');
    expect(await running.health()).toBe(200);
    expect(running.isRunning).toBe(true);

    running.send('throw');
    expect(await running.exitWithin(15_000)).toEqual({ code: 1, signal: null });
    const fatal = running.logEntries().find((entry) => entry.level === FATAL);
    expect(fatal?.msg).toMatch(/^uncaught exception/);
    expect(JSON.stringify(fatal)).toContain('injected exception that nobody catches');
  }, 90_000);
});
