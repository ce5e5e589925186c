import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../../../src/lib/freePort';
import { waitFor } from '../../../support/waitFor';

const TEST_DB_SCRIPT = path.resolve(__dirname, '..', '..', '..', 'scripts', 'test-db.sh');

const accepts = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });

/**
 * A FerretDB of the test's own (scripts/test-db.sh serve, SQLite files in a temporary folder), for
 * faults that need its process: whatever server MONGODB_URI names, this one can be made unable to
 * write. Needs FerretDB built (`scripts/test-db.sh install`, which CI runs) and prlimit (util-linux).
 */
export class FerretDbProcess {
  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
    private readonly dataDir: string,
  ) {}

  static async start(): Promise<FerretDbProcess> {
    const port = await freePort();
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'shop-ferretdb-'));
    // `serve` execs FerretDB itself: the child's pid is FerretDB's.
    const child = spawn('bash', [TEST_DB_SCRIPT, 'serve', dataDir, String(port)], { stdio: 'ignore' });
    const server = new FerretDbProcess(child, port, dataDir);
    try {
      // The first start on a machine builds FerretDB (about a minute).
      await waitFor(
        'FerretDB to accept connections',
        async () => {
          if (child.exitCode !== null) throw new Error(`FerretDB exited with ${child.exitCode}`);
          return accepts(port);
        },
        180_000,
      );
    } catch (err) {
      await server.stop();
      throw err;
    }
    return server;
  }

  uri(database: string): string {
    return `mongodb://127.0.0.1:${this.port}/${database}`;
  }

  /**
   * Limits the size of every file FerretDB writes (RLIMIT_FSIZE, the soft limit only, so that it can
   * be raised again): at 0, SQLite cannot add a byte to its database or journal, as on a full disk,
   * while reading goes on. `undefined` lifts the limit.
   */
  limitFileSize(bytes: number | undefined): void {
    const limit = bytes === undefined ? 'unlimited' : String(bytes);
    execFileSync('prlimit', ['--pid', String(this.child.pid), `--fsize=${limit}:unlimited`]);
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null) {
      const exited = new Promise((resolve) => this.child.once('exit', resolve));
      this.child.kill('SIGTERM');
      const kill = setTimeout(() => this.child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(kill);
    }
    fs.rmSync(this.dataDir, { recursive: true, force: true });
  }
}
