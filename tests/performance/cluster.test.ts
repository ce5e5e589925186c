/**
 * `WEB_CONCURRENCY=2 npm start`: the built server (`node dist/server.js`) forks two workers that
 * share the port and, through MongoDB, the sessions. A login made on one worker must hold on
 * whichever worker answers: every request below comes on a new connection, which node's cluster
 * module hands to the workers in turn.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createUser, PASSWORD, sessionIdFrom, uniqueEmail } from '../helpers/http';
import { itWhereServerHas, itWhereServerLacks } from '../helpers/server';
import { useTestDatabase } from '../helpers/testApp';
import { ShopProcess } from '../../support/shopProcess';
import { WebClient } from '../../support/webClient';

const ROOT = path.resolve(__dirname, '..', '..');
const REQUESTS = 24;
const BUILD_TIMEOUT_MS = 120_000;

const database = useTestDatabase();

/**
 * A build of its own (the browser tests rebuild dist/ at the same time): the compiled server in a
 * temporary folder, beside links to the views, static files and node_modules it loads.
 */
let buildRoot: string;
beforeAll(() => {
  buildRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'shop-cluster-test-'));
  execFileSync(process.execPath, [
    path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'),
    '-p',
    path.join(ROOT, 'tsconfig.build.json'),
    '--outDir',
    path.join(buildRoot, 'dist'),
  ]);
  fs.copyFileSync(
    path.join(ROOT, 'src', 'lib', 'passwordWorker.js'),
    path.join(buildRoot, 'dist', 'lib', 'passwordWorker.js'),
  );
  for (const linked of ['views', 'public', 'node_modules', 'scripts']) {
    fs.symlinkSync(path.join(ROOT, linked), path.join(buildRoot, linked));
  }
}, BUILD_TIMEOUT_MS);

afterAll(() => {
  if (buildRoot) fs.rmSync(buildRoot, { recursive: true, force: true });
});

itWhereServerHas('atomicUpdates', 'one process only there (tests/reliability/instances.test.ts)')(
  'with WEB_CONCURRENCY=2, a login holds on every worker, and SIGTERM stops them all',
  async () => {
    const email = uniqueEmail('cluster');
    await createUser(email);
    const server = await ShopProcess.start({
      databaseUri: database(),
      mode: 'dist',
      root: buildRoot,
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
  BUILD_TIMEOUT_MS,
);

/** The worker processes of a primary (Linux: its children as /proc lists them). */
function childPids(pid: number): number[] {
  const list = fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8');
  return list.split(' ').filter(Boolean).map(Number);
}

itWhereServerHas('atomicUpdates', 'one process only there (tests/reliability/instances.test.ts)')(
  'exits 0 on SIGTERM after a clean stop, even when a worker died and was replaced long before',
  async () => {
    const server = await ShopProcess.start({
      databaseUri: database(),
      mode: 'dist',
      root: buildRoot,
      env: { WEB_CONCURRENCY: '2', LOG_LEVEL: 'info' },
      until: 'healthy',
    });
    try {
      // A worker is replaced only once it has run 10 s (one dying at start is not); both were
      // forked before they served.
      await new Promise((resolve) => setTimeout(resolve, 10_500));
      const workers = childPids(server.pid);
      process.kill(workers[0]!, 'SIGKILL');
      const deadline = Date.now() + 30_000;
      // The replacement says so (at level info) once it serves: stopping it before would test its start.
      const replacementReady = () => {
        const replacement = childPids(server.pid).find((pid) => !workers.includes(pid));
        return server
          .log()
          .split('\n')
          .some((line) => line.includes(`"pid":${replacement},`) && line.includes('is ready at'));
      };
      while (!replacementReady()) {
        if (Date.now() > deadline) throw new Error(`no worker replaced the killed one: ${server.log()}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    } finally {
      server.signal('SIGTERM');
    }
    const { code } = await server.exited;
    expect({ code, output: server.log() }).toEqual({ code: 0, output: expect.stringContaining('a worker died') });
  },
  BUILD_TIMEOUT_MS,
);

it('refuses WEB_CONCURRENCY > 1 without MONGODB_URI (the embedded database serves one process)', async () => {
  const server = await ShopProcess.start({
    mode: 'dist',
    root: buildRoot,
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
      mode: 'dist',
      root: buildRoot,
      env: { WEB_CONCURRENCY: '2' },
      until: 'nothing',
    });
    expect((await server.exitWithin(60_000)).code).toBe(1);
    expect(server.log()).toContain('Another instance of the shop is using this database');
    expect(server.log()).toContain('this database allows one process only');
  },
  BUILD_TIMEOUT_MS,
);
