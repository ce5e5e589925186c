import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { freePort } from '../src/lib/freePort';
import { waitFor } from './waitFor';
import { WebClient } from './webClient';

const REPO = path.resolve(__dirname, '..');
/** 40 characters, as production requires at least 32. */
const SESSION_SECRET = 'support-session-secret-0123456789abcdefgh';
const SESSION_ID_HASH_SECRET = 'support-session-id-hash-secret-0123456789abcdef';
/** Encrypts the authenticator keys of the accounts the server's tests make. */
const DATA_ENCRYPTION_KEY = 'shop-process-data-encryption-key-of-32-characters';
const MAX_LOG_CHARS = 256_000;
/** Healthy answers in a row, per worker, before a clustered server counts as up (each worker gave some). */
const HEALTHY_RUN_PER_WORKER = 4;

// Whatever happens to the run (a failed test, a forced exit), no server outlives it.
const running = new Set<ChildProcess>();
process.once('exit', () => running.forEach((child) => child.kill('SIGKILL')));

export interface ShopProcessOptions {
  /** MONGODB_URI. Without it the server starts its embedded database (or refuses, with WEB_CONCURRENCY > 1). */
  databaseUri?: string;
  /** Extra or overriding environment variables (WEB_CONCURRENCY starts that many workers). */
  env?: Record<string, string>;
  /**
   * Modules to load before the server (`node --import`), e.g. a fault to inject. TypeScript ones
   * are compiled by tsx as they load, whichever the mode.
   */
  preload?: string[];
  /** Opens an IPC channel, for `send()` (to talk to a preloaded module). */
  ipc?: boolean;
  /**
   * `dist` (default) runs the build, as `npm start` does: jest's globalSetup builds it once per run
   * (support/build.ts), elsewhere `npm run build` first. `source` runs src/server.ts through tsx,
   * which compiles the whole app again in every process it starts (seconds of CPU each).
   */
  mode?: 'source' | 'dist';
  /**
   * What `start()` waits for: `answering` HTTP (any status: 503 while MongoDB is away; the
   * default), `healthy` (GET /healthz answers 200, from every worker), or `nothing` (a start that
   * is expected to fail).
   */
  until?: 'answering' | 'healthy' | 'nothing';
  /** Also prints what the server prints (it is kept for `log()` either way). */
  echo?: boolean;
  /**
   * The host name browsers use for the site (APP_URL's; 127.0.0.1 by default). "localhost" for
   * passkeys: WebAuthn needs a domain, never an IP address. The server still listens on 127.0.0.1.
   */
  siteName?: 'localhost';
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/**
 * The shop's real server (`dist/server.js` or `src/server.ts`, with its signal and last-resort
 * handlers) in a child process on a free loopback port of its own, in a working directory without
 * a .env and with only the environment given here. Its mail goes to `outboxDir`.
 */
export class ShopProcess {
  readonly outboxDir = fs.mkdtempSync(path.join(os.tmpdir(), 'shop-outbox-'));
  private child!: ChildProcess;
  private exit!: Promise<Exit>;
  private output = '';

  private constructor(
    readonly port: number,
    private readonly options: ShopProcessOptions,
  ) {}

  /** Starts the server and resolves once it is as far as `options.until` says. */
  static async start(options: ShopProcessOptions = {}): Promise<ShopProcess> {
    const server = new ShopProcess(await freePort(), options);
    await server.launch();
    return server;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Where a browser reaches the site, and APP_URL: `url`, by `siteName` when one was given. */
  get siteUrl(): string {
    return `http://${this.options.siteName ?? '127.0.0.1'}:${this.port}`;
  }

  /** The database the server uses (when started with one), for a test to look at or age its data. */
  get databaseUri(): string | undefined {
    return this.options.databaseUri;
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get isRunning(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** How the process ended, once it has. */
  get exited(): Promise<Exit> {
    return this.exit;
  }

  /** Everything the server printed (stdout and stderr, the last 256 kB, across restarts). */
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

  /** The status of GET /healthz on a connection of its own (any worker may take it), 0 when nothing answers. */
  async health(): Promise<number> {
    const page = await new WebClient(this.url, { agent: false, timeoutMs: 5000 }).get('/healthz').catch(() => null);
    return page?.status ?? 0;
  }

  /** Polls /healthz until `accept(status)`; fails at once if the process exits. */
  async waitUntil(what: string, accept: (status: number) => boolean, timeoutMs = 30_000): Promise<void> {
    // waitFor retries through errors: an exit must end the wait at once, not after timeoutMs.
    const exited = this.exit.then(() => {
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

  /** Waits until /healthz answers 200 from every worker: a run of healthy answers on fresh connections. */
  async waitUntilHealthy(timeoutMs = 60_000): Promise<void> {
    const needed = Number(this.options.env?.WEB_CONCURRENCY ?? 1) * HEALTHY_RUN_PER_WORKER;
    let healthyInARow = 0;
    const healthyOnEveryWorker = (status: number) => {
      healthyInARow = status === 200 ? healthyInARow + 1 : 0;
      return healthyInARow >= needed;
    };
    await this.waitUntil('is healthy on every worker', healthyOnEveryWorker, timeoutMs);
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
      return await Promise.race([this.exit, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** SIGTERM, as a supervisor would send, then SIGKILL after `graceMs`; resolves with how the process ended. */
  async stop(graceMs = 15_000): Promise<Exit> {
    if (!this.isRunning) return this.exit;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    const exit = await this.exit;
    clearTimeout(timer);
    return exit;
  }

  /** Stops the server and starts it again on the same port and database, like a redeploy. */
  async restart(): Promise<void> {
    await this.stop();
    await this.launch();
  }

  private arguments(): string[] {
    const { mode = 'dist', preload = [] } = this.options;
    const imports = (files: string[]) => files.flatMap((file) => ['--import', pathToFileURL(file).href]);
    const tsx = require.resolve('tsx', { paths: [REPO] });
    if (mode === 'source') return [...imports([tsx, ...preload]), path.join(REPO, 'src', 'server.ts')];
    const serverJs = path.join(REPO, 'dist', 'server.js');
    if (!fs.existsSync(serverJs)) throw new Error(`${serverJs} is missing: run \`npm run build\` first`);
    // tsx compiles only the preloaded modules here; the server itself is the build.
    return [...imports(preload.length > 0 ? [tsx, ...preload] : []), serverJs];
  }

  private async launch(): Promise<void> {
    const { databaseUri, env = {}, ipc = false, until = 'answering' } = this.options;
    const child = spawn(process.execPath, this.arguments(), {
      cwd: os.tmpdir(),
      env: {
        PATH: process.env.PATH,
        NODE_ENV: 'test',
        HOST: '127.0.0.1',
        PORT: String(this.port),
        // Links in mails (password reset) point at this server, as a browser reaches it.
        APP_URL: this.siteUrl,
        ...(databaseUri ? { MONGODB_URI: databaseUri } : {}),
        SESSION_SECRET,
        SESSION_ID_HASH_SECRET,
        DATA_ENCRYPTION_KEY,
        BCRYPT_COST: '4',
        // Generous, as for the in-process apps (tests/helpers/testApp.ts): on a busy machine the
        // driver's monitor can stall past a short timeout and mark the database gone (503s).
        // Fault tests set their own (FAST_FAILURE).
        MONGODB_TIMEOUT_MS: '5000',
        // Every visitor of a test comes from 127.0.0.1: per-network limits are set low only where tested.
        PASSWORD_CHECKS_PER_NETWORK: '1000',
        GUEST_CARTS_PER_HOUR: '100000',
        LOG_LEVEL: 'warn',
        MAIL_OUTBOX_DIR: this.outboxDir,
        ...env,
      },
      stdio: ipc ? ['ignore', 'pipe', 'pipe', 'ipc'] : ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    running.add(child);
    this.exit = new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        running.delete(child);
        resolve({ code, signal });
      }),
    );
    child.stdout?.on('data', (chunk: Buffer) => this.record(chunk, process.stdout));
    child.stderr?.on('data', (chunk: Buffer) => this.record(chunk, process.stderr));
    try {
      if (until === 'answering') await this.waitUntil('answering HTTP', (status) => status > 0);
      if (until === 'healthy') await this.waitUntilHealthy();
    } catch (err) {
      await this.stop();
      throw err;
    }
  }

  private record(chunk: Buffer, echoTo: NodeJS.WriteStream): void {
    this.output = (this.output + chunk.toString()).slice(-MAX_LOG_CHARS);
    if (this.options.echo) echoTo.write(chunk);
  }
}
