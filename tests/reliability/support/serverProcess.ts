import { spawn, type ChildProcess } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { freePort } from '../../../src/lib/freePort';

const ROOT = path.resolve(__dirname, '..', '..', '..');
/** 40 characters, as production requires at least 32. */
export const SERVER_SESSION_SECRET = 'reliability-secret-0123456789abcdefghijk';
const MAX_LOG_CHARS = 256_000;

// Whatever happens to the test run, no server outlives it.
const running = new Set<ChildProcess>();
process.once('exit', () => running.forEach((child) => child.kill('SIGKILL')));

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` until it returns something truthy; throws with `what` after `timeoutMs`. */
export async function waitFor<T>(what: string, check: () => Promise<T>, timeoutMs = 20_000, everyMs = 200) {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${String(last)})` : ''}`,
      );
    }
    await sleep(everyMs);
  }
}

export interface ServerProcessOptions {
  databaseUri: string;
  /** Extra or overriding environment variables. */
  env?: Record<string, string>;
  /** Modules to load before the server (`node --import`), e.g. a fault to inject. */
  preload?: string[];
  /** Opens an IPC channel, for `send()` (to talk to a preloaded module). */
  ipc?: boolean;
  /**
   * `source` (default) runs src/server.ts through tsx, so tests need no build and always test the
   * current code; `dist` runs the build, as `npm start` does (`npm run build` first).
   */
  mode?: 'source' | 'dist';
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/**
 * The shop's real server (`src/server.ts`, with its signal and last-resort handlers) in a child
 * process on a free loopback port, with a working directory without a .env.
 */
export class ServerProcess {
  private output = '';
  readonly exited: Promise<Exit>;

  private constructor(
    readonly port: number,
    private readonly child: ChildProcess,
  ) {
    running.add(child);
    child.stdout?.on('data', (chunk: Buffer) => this.record(chunk));
    child.stderr?.on('data', (chunk: Buffer) => this.record(chunk));
    this.exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        running.delete(child);
        resolve({ code, signal });
      }),
    );
  }

  /** Starts the server and resolves once it answers HTTP (any status: 503 while MongoDB is away). */
  static async start({ databaseUri, env = {}, preload = [], ipc = false, mode = 'source' }: ServerProcessOptions) {
    const port = await freePort();
    const args =
      mode === 'dist'
        ? [path.join(ROOT, 'dist', 'server.js')]
        : [
            '--import',
            pathToFileURL(require.resolve('tsx', { paths: [ROOT] })).href,
            ...preload.flatMap((file) => ['--import', pathToFileURL(file).href]),
            path.join(ROOT, 'src', 'server.ts'),
          ];
    if (mode === 'dist' && preload.length > 0) throw new Error('preload modules need mode: source');
    const child = spawn(process.execPath, args, {
      cwd: os.tmpdir(),
      env: {
        PATH: process.env.PATH,
        NODE_ENV: 'test',
        HOST: '127.0.0.1',
        PORT: String(port),
        MONGODB_URI: databaseUri,
        MONGODB_TIMEOUT_MS: '1000',
        SESSION_SECRET: SERVER_SESSION_SECRET,
        BCRYPT_COST: '4',
        LOG_LEVEL: 'warn',
        ...env,
      },
      stdio: ipc ? ['ignore', 'pipe', 'pipe', 'ipc'] : ['ignore', 'pipe', 'pipe'],
    });
    const server = new ServerProcess(port, child);
    await server.waitUntil('answering HTTP', (status) => status > 0);
    return server;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get isRunning(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Everything the server printed (stdout and stderr, the last 256 kB). */
  log(): string {
    return this.output;
  }

  /** The server's JSON log lines (pino), parsed; other lines are skipped. */
  logEntries(): Array<{ level: number; msg?: string; [key: string]: unknown }> {
    return this.output.split('\n').flatMap((line) => {
      try {
        const entry: unknown = JSON.parse(line);
        return entry && typeof entry === 'object' && 'level' in entry ? [entry as { level: number }] : [];
      } catch {
        return [];
      }
    });
  }

  /** The status of GET /healthz, 0 when nothing answers. */
  async health(): Promise<number> {
    const response = await fetch(`${this.url}/healthz`, { signal: AbortSignal.timeout(5000) }).catch(() => null);
    return response?.status ?? 0;
  }

  /** Polls /healthz until `accept(status)`; fails at once if the process exits. */
  async waitUntil(what: string, accept: (status: number) => boolean, timeoutMs = 30_000): Promise<void> {
    // A server that exits (a taken port, a bad setting) ends the wait at once.
    const exited = this.exited.then(() => {
      throw new Error(`the server exited before ${what}`);
    });
    exited.catch(() => undefined); // also when it exits later, after the wait is over
    await Promise.race([
      exited,
      waitFor(`the server ${what}`, async () => accept(await this.health()), timeoutMs, 100),
    ]).catch((err: Error) => {
      throw new Error(`${err.message}\n--- server output ---\n${this.output}`);
    });
  }

  /** A message to the server process (needs `ipc: true`). */
  send(message: string): void {
    if (!this.child.send) throw new Error('the server was started without an IPC channel');
    this.child.send(message);
  }

  signal(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }

  /** How the process ended; rejects if it is still running after `timeoutMs`. */
  async exitWithin(timeoutMs: number): Promise<Exit> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`the server did not exit within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves with how the process ended. */
  async stop(graceMs = 15_000): Promise<Exit> {
    if (!this.isRunning) return this.exited;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    const exit = await this.exited;
    clearTimeout(timer);
    return exit;
  }

  private record(chunk: Buffer): void {
    this.output = (this.output + chunk.toString()).slice(-MAX_LOG_CHARS);
  }
}
