/**
 * The example app (examples/express5-app) on the package as npm would publish it: the sources
 * built and packed by `npm pack`, the tarball installed offline into a copy of the example, and
 * `node app.mjs` served on the test server and driven over HTTP as two devices of one user. Also:
 * what the tarball holds, and that `require` and `import` load one implementation from it.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { MongoClient } from 'mongodb';
import { CLIENT_OPTIONS, uniqueDatabaseUri } from './support/server';

const PACKAGE = path.resolve(__dirname, '..');
const REPO = path.resolve(PACKAGE, '..', '..');
const EXAMPLE = path.join(PACKAGE, 'examples', 'express5-app');
const NAME = '@fernhill/session-store';

interface Manifest {
  name?: string;
  main?: string;
  types?: string;
  exports?: unknown;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
}

const readManifest = (dir: string) => JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as Manifest;

/**
 * The environment of every command run here, less the npm_* variables that `npm test` or `npx`
 * set: a nested npm would obey them (npm_config_*), and the app needs none.
 */
function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const inherited = Object.entries(process.env).filter(([name]) => !/^npm_/i.test(name));
  return { ...Object.fromEntries(inherited), ...extra };
}

const execFileAsync = promisify(execFile);

/** Runs a command to its end; its stdout, or an error with its output. */
async function run(command: string, args: string[], cwd: string, env = childEnv()): Promise<string> {
  try {
    return (await execFileAsync(command, args, { cwd, env, maxBuffer: 32 * 1024 * 1024 })).stdout;
  } catch (err) {
    const { stdout = '', stderr = '' } = err as { stdout?: string; stderr?: string };
    throw new Error(`\`${command} ${args.join(' ')}\` failed in ${cwd}:\n${stdout}\n${stderr}`, { cause: err });
  }
}

/** The package's files in `stage` (without its build or installs), its node_modules the repo's. */
function stagePackage(stage: string): void {
  fs.cpSync(PACKAGE, stage, {
    recursive: true,
    filter: (source) => {
      const parts = path.relative(PACKAGE, source).split(path.sep);
      return parts[0] !== 'dist' && !parts.includes('node_modules');
    },
  });
  fs.symlinkSync(path.join(REPO, 'node_modules'), path.join(stage, 'node_modules'), 'dir');
}

/** Where Node finds package `name` from `from` (inside the repo), or undefined. */
function findInRepo(name: string, from: string): string | undefined {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'node_modules', name);
    if (fs.existsSync(path.join(candidate, 'package.json'))) return candidate;
    if (dir === REPO || dir === path.dirname(dir)) return undefined;
  }
}

/**
 * Copies the packages `names` need, and those they need in turn (dependencies, and peers that are
 * not optional), from the repo's node_modules to the same places under `dir`: the install's
 * node_modules holds those and nothing else. Returns how many.
 */
function copyDependencies(names: readonly string[], dir: string): number {
  const copied = new Set<string>();
  const visit = (name: string, from: string, optional: boolean) => {
    const found = findInRepo(name, from);
    if (!found) {
      if (optional) return;
      throw new Error(`${name} (needed from ${path.relative(REPO, from) || 'the repo'}) is not installed in ${REPO}`);
    }
    if (copied.has(found)) return;
    copied.add(found);
    fs.cpSync(found, path.join(dir, path.relative(REPO, found)), {
      recursive: true,
      dereference: true,
      // Its own nested node_modules are copied as they are reached.
      filter: (source) => path.relative(found, source).split(path.sep)[0] !== 'node_modules',
    });
    const manifest = readManifest(found);
    for (const dep of Object.keys(manifest.dependencies ?? {})) {
      visit(dep, found, Object.hasOwn(manifest.optionalDependencies ?? {}, dep));
    }
    for (const dep of Object.keys(manifest.peerDependencies ?? {})) {
      if (!manifest.peerDependenciesMeta?.[dep]?.optional) visit(dep, found, false);
    }
  };
  for (const name of names) visit(name, REPO, false);
  return copied.size;
}

/** Every string in package.json's `exports`: the files it points at. */
function exportTargets(exports: unknown): string[] {
  if (typeof exports === 'string') return [exports];
  if (exports && typeof exports === 'object') return Object.values(exports).flatMap(exportTargets);
  return [];
}

/** Starts `node app.mjs` in `cwd`; resolves to its port once it says it listens. */
function startExample(cwd: string, env: NodeJS.ProcessEnv): { child: ChildProcess; port: Promise<number> } {
  const child = spawn(process.execPath, ['app.mjs'], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const port = new Promise<number>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      output += `${line}\n`;
      const listening = /^listening on http:\/\/localhost:(\d+)$/.exec(line);
      if (listening) resolve(Number(listening[1]));
    });
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      reject(new Error(`the example exited (${code ?? signal}) before it listened:\n${output}`));
    });
  });
  return { child, port };
}

/** Resolves to how the child ended once it has (at once if it already had). */
function exitOf(child: ChildProcess): Promise<number | NodeJS.Signals | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode ?? child.signalCode);
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal)));
}

/** A browser of one device: its own cookie jar and user agent. */
class Device {
  readonly cookies = new Map<string, string>();

  constructor(
    private readonly base: string,
    readonly userAgent: string,
  ) {}

  /** The session id that this device's cookie carries (express-session's `s:<id>.<signature>`). */
  get sessionId(): string | undefined {
    const value = this.cookies.get('sid');
    return value ? /^s:([^.]+)\./.exec(decodeURIComponent(value))?.[1] : undefined;
  }

  async request(method: 'GET' | 'POST', url: string, form?: Record<string, string>) {
    const headers: Record<string, string> = { 'user-agent': this.userAgent };
    if (this.cookies.size > 0) headers.cookie = [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
    const response = await fetch(new URL(url, this.base), {
      method,
      headers,
      body: form && new URLSearchParams(form),
      redirect: 'manual',
    });
    for (const cookie of response.headers.getSetCookie()) {
      const [pair = ''] = cookie.split(';');
      const eq = pair.indexOf('=');
      this.cookies.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
    }
    const text = await response.text();
    const json = response.headers.get('content-type')?.startsWith('application/json');
    return { status: response.status, body: json ? (JSON.parse(text) as unknown) : text };
  }
}

interface ListedSession {
  handle: string;
  userAgent?: string;
  current: boolean;
  createdAt: string;
  lastActive: string;
  expires: string;
}

let work: string | undefined;
let installed: string;
let packed: { filename: string; files: { path: string }[] };
let stagedManifest: Manifest;
let databaseUri: string;
let app: { child: ChildProcess; port: Promise<number> } | undefined;
let base: string;

beforeAll(async () => {
  databaseUri = uniqueDatabaseUri();
  work = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'session-store-example-')));

  // Built and packed in a copy of the package, not in place: the shop's tests, which may run beside
  // this file, load the package's own dist/, which a build empties first.
  const stage = path.join(work, 'package');
  stagePackage(stage);
  await run(process.execPath, ['scripts/build.mjs'], stage);
  const packs = JSON.parse(
    await run('npm', ['pack', '--json', '--pack-destination', work], stage),
  ) as (typeof packed)[];
  expect(packs).toHaveLength(1);
  packed = packs[0]!;
  stagedManifest = readManifest(stage);

  // The install, offline and the same on every machine that ran `npm ci` in the repo, whatever
  // npm's cache holds: `npm ci` caches the lockfile's tarballs, not the registry metadata that
  // `npm install --offline` needs to resolve a range such as express@^5 (it fails ENOTCACHED).
  // So:
  // - the example's dependencies and the package's, and what they need, copied from the repo's
  //   node_modules (copyDependencies): the install has those, not every package of the repo;
  // - `npm install --offline <tarball>` with an empty cache of its own: npm only unpacks the
  //   tarball, since the rest of the tree already satisfies package.json (the example's
  //   `overrides` make connect-mongodb-session's mongodb edge valid too), and any fetch would fail
  //   at once rather than reach the network. --legacy-peer-deps: npm resolves a new package's peer
  //   dependencies from registry metadata even when the tree has them; the peers here are the
  //   example's own dependencies. --no-save: package.json stays as the example ships it.
  // - `npm ls --all` then checks every edge of the tree, peers included.
  installed = path.join(work, 'app');
  fs.cpSync(EXAMPLE, installed, {
    recursive: true,
    filter: (source) => !['node_modules', 'package-lock.json'].includes(path.basename(source)),
  });
  const example = readManifest(installed);
  const needed = new Set([
    ...Object.keys(example.dependencies ?? {}),
    ...Object.keys(stagedManifest.dependencies ?? {}),
  ]);
  needed.delete(NAME);
  copyDependencies([...needed], installed);
  const cache = path.join(work, 'npm-cache');
  const npmFlags = ['--offline', '--cache', cache, '--no-audit', '--no-fund'];
  const tarball = path.join(work, packed.filename);
  await run('npm', ['install', ...npmFlags, '--no-save', '--legacy-peer-deps', tarball], installed);
  await run('npm', ['ls', '--all', ...npmFlags], installed);

  app = startExample(
    installed,
    childEnv({
      MONGODB_URI: databaseUri,
      PORT: '0',
      SESSION_SECRET: 'x'.repeat(32),
      SESSION_ID_HASH_SECRET: 'y'.repeat(32),
    }),
  );
  base = `http://127.0.0.1:${await app.port}`;
}, 120_000);

afterAll(async () => {
  // The app by its PID, if it still runs (a test failed before the last one): SIGTERM, then
  // SIGKILL if that has not ended it within 10 s.
  const child = app?.child;
  const pid = child?.pid;
  if (child && pid !== undefined && child.exitCode === null && child.signalCode === null) {
    const exited = exitOf(child);
    process.kill(pid, 'SIGTERM');
    const kill = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(kill);
  }
  if (databaseUri) {
    const client = new MongoClient(databaseUri, CLIENT_OPTIONS);
    await client
      .db()
      .dropDatabase()
      .catch(() => {});
    await client.close();
  }
  if (work) fs.rmSync(work, { recursive: true, force: true });
}, 30_000);

it('packs the build that package.json points at, with the sources its maps name, and no tests', () => {
  const files = packed.files.map((file) => file.path);
  const pointedAt = [stagedManifest.main, stagedManifest.types, ...exportTargets(stagedManifest.exports)]
    .filter((target): target is string => typeof target === 'string')
    .map((target) => path.posix.normalize(target));
  expect(pointedAt).toEqual(expect.arrayContaining(['dist/cjs/index.js', 'dist/esm/index.mjs']));
  expect(pointedAt.filter((target) => !files.includes(target))).toEqual([]);
  expect(
    files.filter(
      (file) => !/^(dist|src)\//.test(file) && !/^(package\.json|LICENSE|README\.md|CHANGELOG\.md)$/.test(file),
    ),
  ).toEqual([]);
  // Each source a map names is in the tarball (a debugger shows it), and nothing else of src/.
  const sources = files.filter((file) => file.startsWith('src/'));
  expect(sources).toContain('src/store.ts');
  for (const source of sources) expect(files).toContain(`dist/cjs/${path.basename(source, '.ts')}.js.map`);
});

it('loads through require and through import from the tarball, as one implementation', async () => {
  const env = childEnv({ MONGODB_URI: databaseUri });
  // As the two module systems of an app would load it.
  await run(process.execPath, ['-e', `require('${NAME}')`], installed, env);
  await run(
    process.execPath,
    ['--input-type=module', '-e', `import { MongoSessionStore } from '${NAME}'`],
    installed,
    env,
  );

  const check = `
    import { createRequire } from 'node:module';
    import session from 'express-session';
    import { MongoClient } from 'mongodb';
    import * as esm from '${NAME}';
    const require = createRequire(process.cwd() + '/');
    const cjs = require('${NAME}');
    const client = new MongoClient(process.env.MONGODB_URI, { serverSelectionTimeoutMS: 5000 });
    const store = new esm.MongoSessionStore({ client, collection: 'module_check', expires: 60000 });
    const connected = Boolean(await store.initialConnectionPromise);
    await store.close();
    await client.close();
    console.log(JSON.stringify({
      sameClass: esm.MongoSessionStore === cjs.MongoSessionStore,
      esmInstance: store instanceof esm.MongoSessionStore,
      cjsInstance: store instanceof cjs.MongoSessionStore,
      expressSessionStore: store instanceof session.Store,
      connected,
      esmNames: Object.keys(esm).sort(),
      cjsNames: Object.keys(cjs).filter((name) => name !== '__esModule' && name !== 'default').sort(),
      esmEntry: import.meta.resolve('${NAME}'),
      cjsEntry: require.resolve('${NAME}'),
    }));
  `;
  const result = JSON.parse(await run(process.execPath, ['--input-type=module', '-e', check], installed, env)) as {
    esmNames: string[];
    cjsNames: string[];
    esmEntry: string;
    cjsEntry: string;
  };
  const unpacked = path.join(installed, 'node_modules', ...NAME.split('/'));
  expect(result).toEqual({
    sameClass: true,
    esmInstance: true,
    cjsInstance: true,
    expressSessionStore: true,
    connected: true,
    esmNames: result.cjsNames,
    cjsNames: expect.arrayContaining(['MongoSessionStore', 'openSessionStore']),
    esmEntry: expect.any(String),
    cjsEntry: path.join(unpacked, 'dist', 'cjs', 'index.js'),
  });
  // The unpacked tarball's entries, not the repo's package.
  expect(fileURLToPath(result.esmEntry)).toBe(path.join(unpacked, 'dist', 'esm', 'index.mjs'));
}, 60_000);

it('lists, revokes and logs out the sessions of one user on two devices', async () => {
  const laptop = new Device(base, 'laptop-browser');
  const phone = new Device(base, 'phone-browser');
  expect((await laptop.request('GET', '/me')).status).toBe(401);

  for (const device of [laptop, phone]) {
    expect(await device.request('POST', '/login', { user: 'ada' })).toEqual({ status: 200, body: { userId: 'ada' } });
    expect(await device.request('GET', '/me')).toEqual({ status: 200, body: { userId: 'ada' } });
  }
  expect(laptop.sessionId).toEqual(expect.any(String));
  expect(phone.sessionId).not.toBe(laptop.sessionId);

  const listed = await laptop.request('GET', '/sessions');
  expect(listed.status).toBe(200);
  const sessions = listed.body as ListedSession[];
  expect(
    sessions
      .map(({ userAgent, current }) => ({ userAgent, current }))
      .sort((a, b) => Number(b.current) - Number(a.current)),
  ).toEqual([
    { userAgent: 'laptop-browser', current: true },
    { userAgent: 'phone-browser', current: false },
  ]);
  // Handles are HMACs of the session ids (idHashSecret), never the ids that cookies carry.
  for (const { handle } of sessions) expect([laptop.sessionId, phone.sessionId]).not.toContain(handle);
  const other = sessions.find((listedSession) => !listedSession.current)!;

  // The laptop ends the phone's session: the phone is logged out, the laptop is not.
  const revoke = `/sessions/${encodeURIComponent(other.handle)}/revoke`;
  expect((await laptop.request('POST', revoke)).status).toBe(204);
  expect((await laptop.request('POST', revoke)).status).toBe(404);
  expect((await phone.request('GET', '/me')).status).toBe(401);
  expect((await phone.request('GET', '/sessions')).status).toBe(401);
  const left = await laptop.request('GET', '/sessions');
  expect((left.body as ListedSession[]).map(({ userAgent, current }) => ({ userAgent, current }))).toEqual([
    { userAgent: 'laptop-browser', current: true },
  ]);

  // Logout ends the laptop's session in the store: its old cookie, sent again, finds none.
  const oldCookie = new Map(laptop.cookies);
  expect((await laptop.request('POST', '/logout')).status).toBe(204);
  expect((await laptop.request('GET', '/me')).status).toBe(401);
  const replay = new Device(base, 'laptop-browser');
  for (const [name, value] of oldCookie) replay.cookies.set(name, value);
  expect((await replay.request('GET', '/me')).status).toBe(401);

  // A second user sees none of these, and cannot end another user's session by its handle.
  const grace = new Device(base, 'grace-browser');
  await grace.request('POST', '/login', { user: 'grace' });
  expect((await phone.request('POST', '/login', { user: 'ada' })).status).toBe(200);
  const adas = (await phone.request('GET', '/sessions')).body as ListedSession[];
  expect(adas).toHaveLength(1);
  expect((await grace.request('POST', `/sessions/${encodeURIComponent(adas[0]!.handle)}/revoke`)).status).toBe(404);
  expect((await phone.request('GET', '/me')).status).toBe(200);
  expect(
    ((await grace.request('GET', '/sessions')).body as ListedSession[]).map((listedSession) => listedSession.userAgent),
  ).toEqual(['grace-browser']);
});

it('ends on SIGTERM: the store and the client let the process exit', async () => {
  const { child } = app!;
  const exited = exitOf(child);
  process.kill(child.pid!, 'SIGTERM');
  expect(await exited).toBe(0);
});
