import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../../../src/lib/freePort';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const SERVER_JS = path.join(ROOT, 'dist', 'server.js');
export const E2E_SESSION_SECRET = 'e2e-session-secret-0123456789abcdefghijk';
const READY_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 15_000;
const MAX_LOG_CHARS = 64_000;
/** Where the servers of this test run write their mail (MAIL_OUTBOX_DIR): no SMTP server is needed. */
export const OUTBOX_DIR = path.join(os.tmpdir(), `shop-e2e-outbox-${process.pid}`);

// Whatever happens to the test run (a crash, a forced exit), no server outlives it.
const running = new Set<ChildProcess>();
process.once('exit', () => running.forEach((child) => child.kill('SIGKILL')));

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The built shop (`node dist/server.js`, as `npm start` runs it) in a child process on a loopback
 * port of its own, with a database of its own. `restart()` keeps both, like a redeploy would.
 */
export class ShopServer {
  private child: ChildProcess | undefined;
  private output = '';

  private constructor(
    readonly port: number,
    readonly databaseUri: string,
  ) {}

  static async start(databaseUri: string): Promise<ShopServer> {
    if (!fs.existsSync(SERVER_JS)) throw new Error(`${SERVER_JS} is missing: run \`npm run build\` first`);
    const server = new ShopServer(await freePort(), databaseUri);
    await server.spawn();
    return server;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** What the server printed (stdout and stderr, the last 64 kB). */
  log(): string {
    return this.output;
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.spawn();
  }

  /** SIGTERM, as a supervisor would send, then waits for the process to exit (SIGKILL if it hangs). */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
  }

  private record(chunk: Buffer): void {
    this.output = (this.output + chunk.toString()).slice(-MAX_LOG_CHARS);
  }

  private async spawn(): Promise<void> {
    const child = spawn(process.execPath, [SERVER_JS], {
      // A working directory without a .env, so a developer's .env cannot change what is tested.
      cwd: os.tmpdir(),
      env: {
        PATH: process.env.PATH,
        NODE_ENV: 'test',
        HOST: '127.0.0.1',
        PORT: String(this.port),
        // Links in mails (password reset) point at this server, as the browser reaches it.
        APP_URL: this.url,
        MONGODB_URI: this.databaseUri,
        SESSION_SECRET: E2E_SESSION_SECRET,
        BCRYPT_COST: '4',
        LOG_LEVEL: 'warn',
        // All browser traffic comes from 127.0.0.1: keep the per-IP signup limit out of the way.
        SIGNUP_MAX_PER_HOUR: '1000',
        MAIL_OUTBOX_DIR: OUTBOX_DIR,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    running.add(child);
    child.once('exit', (code, signal) => {
      running.delete(child);
      this.record(Buffer.from(`[e2e] server pid ${child.pid} exited (code ${code}, signal ${signal})\n`));
    });
    child.stdout?.on('data', (chunk: Buffer) => this.record(chunk));
    child.stderr?.on('data', (chunk: Buffer) => this.record(chunk));
    await this.waitUntilHealthy(child);
  }

  private async waitUntilHealthy(child: ChildProcess): Promise<void> {
    const deadline = Date.now() + READY_TIMEOUT_MS;
    while (Date.now() < deadline) {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`the server exited before it was ready:\n${this.output}`);
      }
      const response = await fetch(`${this.url}/healthz`, { signal: AbortSignal.timeout(2000) }).catch(() => null);
      if (response?.status === 200) return;
      await sleep(100);
    }
    await this.stop();
    throw new Error(`GET /healthz did not answer 200 within ${READY_TIMEOUT_MS} ms:\n${this.output}`);
  }
}
