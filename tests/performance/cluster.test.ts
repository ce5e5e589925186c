/**
 * `WEB_CONCURRENCY=2 npm start`: the built server (`node dist/server.js`) forks two workers that
 * share the port and, through MongoDB, the sessions. A login made on one worker must hold on
 * whichever worker answers: every request below comes on a new connection, which node's cluster
 * module hands to the workers in turn.
 */
import fs from 'node:fs';
import { createUser, PASSWORD, sessionIdFrom, uniqueEmail } from '../helpers/http';
import { itWhereServerHas, itWhereServerLacks } from '../helpers/server';
import { useTestDatabase } from '../helpers/testApp';
import { ShopProcess } from '../../support/shopProcess';
import { waitFor } from '../../support/waitFor';
import { WebClient } from '../../support/webClient';

const REQUESTS = 24;
/** Two workers to start, and one to replace after its first 10 s. */
const TIMEOUT_MS = 90_000;

const database = useTestDatabase();

itWhereServerHas('atomicUpdates', 'one process only there (tests/reliability/instances.test.ts)')(
  'with WEB_CONCURRENCY=2, a login holds on every worker, and SIGTERM stops them all',
  async () => {
    const email = uniqueEmail('cluster');
    await createUser(email);
    const server = await ShopProcess.start({
      databaseUri: database(),
      env: { WEB_CONCURRENCY: '2' },
      until: 'healthy',
    });
    try {
      // No keep-alive: each request on a connection of its own, so that any worker may take it.
      const visitor = new WebClient(server.url, { agent: false });
      const form = await visitor.get('/login');
      expect(form.status).toBe(200);
      const login = await visitor.post('/login', { email, password: PASSWORD });
      expect(login.status).toBe(302);
      expect(sessionIdFrom(login.headers['set-cookie'])).toBeDefined();

      // The first page after login stores the session's CSRF token, as a browser's first page would;
      // the batch below then only reads the session, from whichever worker answers.
      expect((await visitor.get('/account')).status).toBe(200);
      const answers = await Promise.all(Array.from({ length: REQUESTS }, () => visitor.get('/account')));
      const serverErrors = server
        .log()
        .split('\n')
        .filter((line) => /"level":(50|60)/.test(line));
      expect({ statuses: answers.map((a) => a.status), serverErrors }).toEqual({
        statuses: Array(REQUESTS).fill(200),
        serverErrors: [],
      });
      for (const answer of answers) expect(answer.text).toContain(email);
    } finally {
      server.signal('SIGTERM');
    }
    expect(await server.exited).toEqual({ code: 0, signal: null });
    expect(server.log()).not.toMatch(/"level":(50|60)/);
  },
  TIMEOUT_MS,
);

/** The worker processes of a primary (Linux: its children as /proc lists them). */
function childPids(pid: number): number[] {
  const list = fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8');
  return list.split(' ').filter(Boolean).map(Number);
}

itWhereServerHas('atomicUpdates', 'one process only there (tests/reliability/instances.test.ts)')(
  'exits 0 on SIGTERM after a clean stop, even when a worker died and was replaced before',
  async () => {
    const server = await ShopProcess.start({
      databaseUri: database(),
      // Any worker that dies is replaced (none counts as failing at start), so no time is waited out.
      env: { WEB_CONCURRENCY: '2', LOG_LEVEL: 'info', WORKER_MIN_UPTIME: '0' },
      until: 'healthy',
    });
    try {
      const workers = childPids(server.pid);
      process.kill(workers[0]!, 'SIGKILL');
      // The replacement says so (at level info) once it serves: stopping it before would test its start.
      await waitFor(
        'a worker to replace the killed one and serve',
        async () => {
          const replacement = childPids(server.pid).find((pid) => !workers.includes(pid));
          const said = (line: string) => line.includes(`"pid":${replacement},`) && line.includes('is ready at');
          return server.log().split('\n').some(said);
        },
        30_000,
        100,
      );
    } finally {
      server.signal('SIGTERM');
    }
    const { code } = await server.exited;
    expect({ code, output: server.log() }).toEqual({ code: 0, output: expect.stringContaining('a worker died') });
  },
  TIMEOUT_MS,
);

it('refuses WEB_CONCURRENCY > 1 without MONGODB_URI (the embedded database serves one process)', async () => {
  const server = await ShopProcess.start({
    env: { WEB_CONCURRENCY: '2' },
    until: 'nothing',
  });
  expect((await server.exited).code).toBe(1);
  expect(server.log()).toContain('WEB_CONCURRENCY=2 needs MONGODB_URI');
});

itWhereServerLacks('atomicUpdates', 'its updates are atomic, so workers may share it')(
  'stops every worker, saying why, where the database allows one process only',
  async () => {
    const server = await ShopProcess.start({
      databaseUri: database(),
      env: { WEB_CONCURRENCY: '2' },
      until: 'nothing',
    });
    expect((await server.exitWithin(60_000)).code).toBe(1);
    expect(server.log()).toContain('Another instance of the shop is using this database');
    expect(server.log()).toContain('this database allows one process only');
  },
  TIMEOUT_MS,
);
