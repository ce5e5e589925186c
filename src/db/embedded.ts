import { spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import fs from 'node:fs';
import { freePort } from '../lib/freePort';
import { messageOf } from '../lib/messageOf';

interface Logger {
  info(message: string): void;
  warn(details: object, message: string): void;
}

/** A database the app starts itself when MONGODB_URI is not set. */
export interface EmbeddedDatabase {
  uri: string;
  kind: 'mongodb' | 'ferretdb';
  /** For people: "MongoDB" or "FerretDB". */
  name: string;
  stop(): Promise<void>;
}

const TEST_DB_SCRIPT = path.resolve(__dirname, '..', '..', 'scripts', 'test-db.sh');
const FERRETDB_START_TIMEOUT_MS = 5 * 60_000; // the first start builds it (about a minute)

export const NO_DATABASE_HELP =
  'No MongoDB to use. Set MONGODB_URI in .env (for example mongodb://127.0.0.1:27017/shop or an ' +
  'Atlas mongodb+srv:// string), or let the app start one: it needs either internet access once ' +
  '(mongodb-memory-server downloads MongoDB) or Go (scripts/test-db.sh builds FerretDB). See README.md.';

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
    socket.setTimeout(1000, () => done(false));
  });
}

async function startMongoMemoryServer(dataDir: string): Promise<EmbeddedDatabase> {
  // Loaded only here: it is a development dependency, absent from a production install, which
  // always names its database (MONGODB_URI) and so never gets this far.
  const { MongoBinary, MongoMemoryServer } = await import('mongodb-memory-server');
  // Finds (or downloads) the binary first: where that fails (offline), MongoMemoryServer.create
  // would print the download's whole stack on the console before failing the same way.
  await MongoBinary.getPath();
  const dbPath = path.join(dataDir, 'mongodb');
  fs.mkdirSync(dbPath, { recursive: true });
  const server = await MongoMemoryServer.create({
    instance: { dbPath, storageEngine: 'wiredTiger', ip: '127.0.0.1' },
  });
  return {
    uri: server.getUri('shop'),
    kind: 'mongodb',
    name: 'MongoDB',
    // Keep the files: users and sessions must survive a restart.
    stop: async () => void (await server.stop({ doCleanup: false })),
  };
}

/**
 * FerretDB on SQLite files under `dataDir`/ferretdb (scripts/test-db.sh serve, which builds it on
 * the first start), on a free port of 127.0.0.1. `pid` is FerretDB's own (`serve` execs it).
 */
export async function startFerretDb(
  dataDir: string,
  logger: Logger,
): Promise<EmbeddedDatabase & { port: number; pid: number }> {
  const port = await freePort();
  const child = spawn('bash', [TEST_DB_SCRIPT, 'serve', path.join(dataDir, 'ferretdb'), String(port)], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  // However this process ends (short of SIGKILL), its database does not outlive it.
  const killChild = () => child.kill('SIGTERM');
  process.once('exit', killChild);

  const deadline = Date.now() + FERRETDB_START_TIMEOUT_MS;
  let announced = false;
  while (!(await accepts(port))) {
    const code = await Promise.race([exited, new Promise<'waiting'>((r) => setTimeout(() => r('waiting'), 250))]);
    if (code !== 'waiting' || Date.now() > deadline) {
      child.kill();
      throw new Error(`FerretDB did not start: ${stderr.trim().split('\n').slice(-3).join(' ') || 'timed out'}`);
    }
    if (!announced && stderr.includes('building')) {
      logger.info('building FerretDB for the embedded database (first start only, about a minute)');
      announced = true;
    }
  }
  // It accepts connections, so it was spawned: a pid is there.
  const pid = child.pid ?? -1;
  return {
    uri: `mongodb://127.0.0.1:${port}/shop`,
    kind: 'ferretdb',
    name: 'FerretDB',
    port,
    pid,
    stop: async () => {
      process.removeListener('exit', killChild);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Where a running shop says which address its embedded database listens on (see `runningEmbeddedDatabase`). */
const uriFileOf = (dataDir: string) => path.join(dataDir, 'embedded-database.uri');
const pidFileOf = (dataDir: string) => path.join(dataDir, 'embedded-database.pid');

/**
 * The address of the embedded database that a running `npm start` serves from `dataDir`, for the
 * command-line tools (`npm run seed`, `npm run admin`) to reach it; undefined when none runs.
 */
export function runningEmbeddedDatabase(dataDir: string): string | undefined {
  const holder = Number(fs.existsSync(pidFileOf(dataDir)) ? fs.readFileSync(pidFileOf(dataDir), 'utf8') : NaN);
  if (!Number.isInteger(holder) || !isRunning(holder) || !fs.existsSync(uriFileOf(dataDir))) return undefined;
  return fs.readFileSync(uriFileOf(dataDir), 'utf8').trim() || undefined;
}

/** Another process (a second `npm start` in the same folder) already runs the database on these files. */
function lockDataDir(dataDir: string): () => void {
  fs.mkdirSync(dataDir, { recursive: true });
  const lockFile = pidFileOf(dataDir);
  const holder = Number(fs.existsSync(lockFile) ? fs.readFileSync(lockFile, 'utf8') : NaN);
  if (Number.isInteger(holder) && holder !== process.pid && isRunning(holder)) {
    throw new Error(
      `The embedded database in ${dataDir} is in use by another process (pid ${holder}), probably another ` +
        '`npm start`: stop that one, or set MONGODB_URI to share a database.',
    );
  }
  fs.writeFileSync(lockFile, String(process.pid));
  return () => {
    fs.rmSync(uriFileOf(dataDir), { force: true });
    fs.rmSync(lockFile, { force: true });
  };
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Starts a local database with its files under `dataDir`: a real MongoDB through
 * mongodb-memory-server, or, where its binary cannot be downloaded (offline), FerretDB. Only one
 * process at a time may use a `dataDir`.
 */
export async function startEmbeddedDatabase(dataDir: string, logger: Logger): Promise<EmbeddedDatabase> {
  const unlock = lockDataDir(dataDir);
  process.once('exit', unlock);
  // Started: its address is written for the command-line tools, and both files go at its stop.
  const unlocking = (database: EmbeddedDatabase): EmbeddedDatabase => {
    fs.writeFileSync(uriFileOf(dataDir), database.uri);
    return {
      ...database,
      stop: async () => {
        await database.stop();
        unlock();
      },
    };
  };
  try {
    return unlocking(await startMongoMemoryServer(dataDir));
  } catch (err) {
    const reason = messageOf(err).split('\n')[0];
    logger.info(`MongoDB cannot be started here (${reason}): using FerretDB instead`);
  }
  try {
    return unlocking(await startFerretDb(dataDir, logger));
  } catch (err) {
    unlock();
    throw new Error(`${NO_DATABASE_HELP}\n(${messageOf(err)})`, { cause: err });
  }
}
