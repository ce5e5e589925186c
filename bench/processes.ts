import { fork, type ChildProcess, type ForkOptions, type StdioOptions } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { ChildMessage, ParentMessage } from './app';
import { benchEnv } from './benchConfig';
import type { StoreName } from './stores';
import { ShopProcess } from '../support/shopProcess';

const ROOT = path.resolve(__dirname, '..');
const TSX = ['--import', 'tsx'];

/**
 * Where the benchmarked apps' output goes: their JSON logs (stdout), warnings and stack traces
 * (stderr) are appended to BENCH_LOG_FILE (run.ts sets it to bench/results/<name>.log), so that
 * the console shows the benchmark alone. Without it they are printed, as before.
 */
function forkLogged(file: string, options: Omit<ForkOptions, 'stdio'>): ChildProcess {
  const logFile = process.env.BENCH_LOG_FILE;
  const fd = logFile ? fs.openSync(logFile, 'a') : undefined;
  const stdio: StdioOptions = fd === undefined ? ['ignore', 'inherit', 'inherit', 'ipc'] : ['ignore', fd, fd, 'ipc'];
  try {
    return fork(file, [], { ...options, stdio });
  } finally {
    // The child has its own copy of the descriptor.
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/** Appends `text` to the apps' log file, or prints it without one. */
export function appendAppLog(text: string): void {
  const file = process.env.BENCH_LOG_FILE;
  if (file) fs.appendFileSync(file, text);
  else process.stderr.write(text);
}

function onceMessage<T extends { type: string }>(child: ChildProcess, type: T['type']): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: T | { type: 'failed'; message: string }) => {
      if (message.type === 'failed' && 'message' in message) {
        cleanup();
        reject(new Error(`child failed: ${message.message}`));
      } else if (message.type === type) {
        cleanup();
        resolve(message as T);
      }
    };
    const onExit = (code: number | null) => {
      cleanup();
      reject(new Error(`child exited (${code}) before sending ${type}`));
    };
    const cleanup = () => {
      child.off('message', onMessage);
      child.off('exit', onExit);
    };
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

/** bench/app.ts in a process of its own: one app with one session store, counting its commands. */
export class AppProcess {
  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  static async start(
    store: StoreName,
    uri: string,
    extraEnv: Record<string, string> = {},
    execArgv: string[] = [],
  ): Promise<AppProcess> {
    const child = forkLogged(path.join(__dirname, 'app.ts'), {
      execArgv: [...TSX, ...execArgv],
      cwd: ROOT,
      // Express turns its view cache on from NODE_ENV, as in a real deployment.
      env: { ...process.env, NODE_ENV: 'production', BENCH_STORE: store, BENCH_URI: uri, ...extraEnv },
    });
    const ready = await onceMessage<Extract<ChildMessage, { type: 'ready' }>>(child, 'ready');
    return new AppProcess(child, ready.port);
  }

  /** Commands counted since the last call (and a fresh count from now on). */
  async take(): Promise<Record<string, number>> {
    const answer = onceMessage<Extract<ChildMessage, { type: 'counts' }>>(this.child, 'counts');
    this.child.send({ type: 'take' } satisfies ParentMessage);
    return (await answer).counts;
  }

  /** Requests the app has not answered yet and database commands not answered yet. */
  async busy(): Promise<{ requests: number; commands: number }> {
    const answer = onceMessage<Extract<ChildMessage, { type: 'busy' }>>(this.child, 'busy');
    this.child.send({ type: 'busy' } satisfies ParentMessage);
    return answer;
  }

  /** Runs `during` with V8's CPU profiler on in the app; writes the profile (.cpuprofile JSON) to `file`. */
  async profile<T>(file: string, during: () => Promise<T>): Promise<T> {
    const started = onceMessage<Extract<ChildMessage, { type: 'profiling' }>>(this.child, 'profiling');
    this.child.send({ type: 'profile-start' } satisfies ParentMessage);
    await started;
    try {
      return await during();
    } finally {
      const written = onceMessage<Extract<ChildMessage, { type: 'profiled' }>>(this.child, 'profiled');
      this.child.send({ type: 'profile-stop', file } satisfies ParentMessage);
      await written;
    }
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.send({ type: 'stop' } satisfies ParentMessage);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }
}

export interface MemoryReport {
  store: StoreName;
  sessions: number;
  heapBeforeMb: number;
  heapAfterCreateMb: number;
  heapAfterServeMb: number;
  served: number;
  createSeconds: number;
}

/** bench/memory.ts with --expose-gc: heap growth of the app holding many logged-in sessions. */
export async function measureMemory(store: StoreName, uri: string, sessions: number): Promise<MemoryReport> {
  const child = forkLogged(path.join(__dirname, 'memory.ts'), {
    execArgv: [...TSX, '--expose-gc'],
    cwd: ROOT,
    env: {
      ...process.env,
      NODE_ENV: 'production',
      BENCH_STORE: store,
      BENCH_URI: uri,
      BENCH_SESSIONS: String(sessions),
    },
  });
  const { report } = await onceMessage<{ type: 'memory'; report: MemoryReport }>(child, 'memory');
  await new Promise((resolve) => (child.exitCode === null ? child.once('exit', resolve) : resolve(null)));
  return report;
}

/** `node dist/server.js` as `npm start` runs it, with WEB_CONCURRENCY workers. */
export class ServerProcess {
  private constructor(private readonly server: ShopProcess) {}

  get url(): string {
    return this.server.url;
  }

  /** Resolves once every worker answers /healthz with 200. */
  static async start(uri: string, workers: number): Promise<ServerProcess> {
    const env = benchEnv({ WEB_CONCURRENCY: String(workers) });
    return new ServerProcess(await ShopProcess.start({ databaseUri: uri, env, mode: 'dist', until: 'healthy' }));
  }

  /** SIGTERM; resolves with the exit code. */
  async stop(): Promise<number | null> {
    const { code } = await this.server.stop();
    appendAppLog(this.server.log());
    return code;
  }
}
