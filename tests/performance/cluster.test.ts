/**
 * `WEB_CONCURRENCY=2 npm start`: the built server (`node dist/server.js`) forks two workers that
 * share the port and, through MongoDB, the sessions. A login made on one worker must hold on
 * whichever worker answers: every request below comes on a new connection, which node's cluster
 * module hands to the workers in turn.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { createUser, csrfFrom, PASSWORD, uniqueEmail } from '../helpers/http';
import { TEST_SECRET, useTestDatabase } from '../helpers/testApp';
import { freePort } from '../../src/lib/freePort';

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

interface Answer {
  status: number;
  body: string;
  cookie?: string;
}

/** One request on a connection of its own (no keep-alive), so that any worker may take it. */
function send(
  port: number,
  pathname: string,
  { cookie, form }: { cookie?: string; form?: Record<string, string> } = {},
) {
  const body = form ? new URLSearchParams(form).toString() : undefined;
  return new Promise<Answer>((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        path: pathname,
        method: form ? 'POST' : 'GET',
        agent: false,
        headers: {
          connection: 'close',
          ...(cookie ? { cookie } : {}),
          ...(body
            ? { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body) }
            : {}),
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            body: text,
            cookie: res.headers['set-cookie']?.find((c) => c.startsWith('shop.sid='))?.split(';')[0],
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

interface Started {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

function startServer(env: Record<string, string>): Started {
  const child = spawn(process.execPath, [path.join(buildRoot, 'dist', 'server.js')], {
    cwd: buildRoot,
    // Only what is given here: no MONGODB_URI or .env of the developer's leaks in.
    env: { PATH: process.env.PATH ?? '', NODE_ENV: 'test', LOG_LEVEL: 'warn', SESSION_SECRET: TEST_SECRET, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

async function waitUntilServing(port: number, server: Started, workers: number) {
  const deadline = Date.now() + 30_000;
  let healthy = 0;
  // Healthy answers on fresh connections, as many as it takes for every worker to have given some.
  while (healthy < workers * 3) {
    if (server.child.exitCode !== null) throw new Error(`the server exited: ${server.output()}`);
    if (Date.now() > deadline) throw new Error(`the server did not start: ${server.output()}`);
    const ok = await send(port, '/healthz').then(
      (answer) => answer.status === 200,
      () => false,
    );
    healthy = ok ? healthy + 1 : 0;
    await new Promise((resolve) => setTimeout(resolve, ok ? 20 : 200));
  }
}

it(
  'with WEB_CONCURRENCY=2, a login holds on every worker, and SIGTERM stops them all',
  async () => {
    const email = uniqueEmail('cluster');
    await createUser(email);
    const port = await freePort();
    const server = startServer({
      MONGODB_URI: database(),
      PORT: String(port),
      HOST: '127.0.0.1',
      WEB_CONCURRENCY: '2',
      BCRYPT_COST: '4',
    });
    try {
      await waitUntilServing(port, server, 2);
      const form = await send(port, '/login');
      expect(form.status).toBe(200);
      const login = await send(port, '/login', {
        cookie: form.cookie,
        form: { _csrf: csrfFrom(form.body), email, password: PASSWORD },
      });
      expect(login.status).toBe(302);
      expect(login.cookie).toBeDefined();

      // The first page after login stores the session's CSRF token, as a browser's first page would;
      // the batch below then only reads the session, from whichever worker answers.
      expect((await send(port, '/account', { cookie: login.cookie })).status).toBe(200);
      const answers = await Promise.all(
        Array.from({ length: REQUESTS }, () => send(port, '/account', { cookie: login.cookie })),
      );
      const serverErrors = server
        .output()
        .split('\n')
        .filter((line) => /"level":(50|60)/.test(line));
      expect({ statuses: answers.map((a) => a.status), serverErrors }).toEqual({
        statuses: Array(REQUESTS).fill(200),
        serverErrors: [],
      });
      for (const answer of answers) expect(answer.body).toContain(email);
    } finally {
      server.child.kill('SIGTERM');
    }
    expect(await server.exited).toBe(0);
    expect(server.output()).not.toMatch(/"level":(50|60)/);
  },
  BUILD_TIMEOUT_MS,
);

/** The worker processes of a primary (Linux: its children as /proc lists them). */
function childPids(pid: number): number[] {
  const list = fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8');
  return list.split(' ').filter(Boolean).map(Number);
}

it(
  'exits 0 on SIGTERM after a clean stop, even when a worker died and was replaced long before',
  async () => {
    const port = await freePort();
    const server = startServer({
      MONGODB_URI: database(),
      PORT: String(port),
      HOST: '127.0.0.1',
      WEB_CONCURRENCY: '2',
      BCRYPT_COST: '4',
      LOG_LEVEL: 'info',
    });
    try {
      await waitUntilServing(port, server, 2);
      // A worker is replaced only once it has run 10 s (one dying at start is not); both were
      // forked before they served.
      await new Promise((resolve) => setTimeout(resolve, 10_500));
      const workers = childPids(server.child.pid!);
      process.kill(workers[0]!, 'SIGKILL');
      const deadline = Date.now() + 30_000;
      // The replacement says so (at level info) once it serves: stopping it before would test its start.
      const replacementReady = () => {
        const replacement = childPids(server.child.pid!).find((pid) => !workers.includes(pid));
        return server
          .output()
          .split('\n')
          .some((line) => line.includes(`"pid":${replacement},`) && line.includes('the shop is ready'));
      };
      while (!replacementReady()) {
        if (Date.now() > deadline) throw new Error(`no worker replaced the killed one: ${server.output()}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    } finally {
      server.child.kill('SIGTERM');
    }
    const code = await server.exited;
    expect({ code, output: server.output() }).toEqual({ code: 0, output: expect.stringContaining('a worker died') });
  },
  BUILD_TIMEOUT_MS,
);

it('refuses WEB_CONCURRENCY > 1 without MONGODB_URI (the embedded database serves one process)', async () => {
  const server = startServer({ PORT: String(await freePort()), WEB_CONCURRENCY: '2' });
  expect(await server.exited).toBe(1);
  expect(server.output()).toContain('WEB_CONCURRENCY=2 needs MONGODB_URI');
});
