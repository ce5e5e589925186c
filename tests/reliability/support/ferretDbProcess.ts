import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startFerretDb } from '../../../src/db/embedded';

const quiet = { info: () => {}, warn: () => {} };

/**
 * A FerretDB of the test's own, started as the app starts its embedded one (SQLite files in a
 * temporary folder), for faults that need its process: whatever server MONGODB_URI names, this one
 * can be made unable to write. Needs prlimit (util-linux).
 */
export class FerretDbProcess {
  private constructor(
    private readonly server: Awaited<ReturnType<typeof startFerretDb>>,
    private readonly dataDir: string,
  ) {}

  static async start(): Promise<FerretDbProcess> {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'shop-ferretdb-'));
    try {
      return new FerretDbProcess(await startFerretDb(dataDir, quiet), dataDir);
    } catch (err) {
      fs.rmSync(dataDir, { recursive: true, force: true });
      throw err;
    }
  }

  get port(): number {
    return this.server.port;
  }

  uri(database: string): string {
    return `mongodb://127.0.0.1:${this.server.port}/${database}`;
  }

  /**
   * Limits the size of every file FerretDB writes (RLIMIT_FSIZE, the soft limit only, so that it can
   * be raised again): at 0, SQLite cannot add a byte to its database or journal, as on a full disk,
   * while reading goes on. `undefined` lifts the limit.
   */
  limitFileSize(bytes: number | undefined): void {
    const limit = bytes === undefined ? 'unlimited' : String(bytes);
    execFileSync('prlimit', ['--pid', String(this.server.pid), `--fsize=${limit}:unlimited`]);
  }

  /**
   * Stops FerretDB's process (SIGSTOP): its connections stay open and nothing is answered, as when
   * a database host hangs. `resume()` (SIGCONT) lets it go on where it was.
   */
  pause(): void {
    process.kill(this.server.pid, 'SIGSTOP');
  }

  resume(): void {
    process.kill(this.server.pid, 'SIGCONT');
  }

  async stop(): Promise<void> {
    this.resume();
    await this.server.stop();
    fs.rmSync(this.dataDir, { recursive: true, force: true });
  }
}
