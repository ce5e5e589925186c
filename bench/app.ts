/**
 * One benchmarked app, in a process of its own (forked by run.ts, so that the load generator does
 * not share its event loop): createApp() with the session store named in BENCH_STORE, on the
 * database BENCH_URI, counting every database command (or, with BENCH_CEILING, one of the bare
 * handlers of bench/ceiling.ts on that store). It answers the parent over IPC:
 * { type: 'take' } → { type: 'counts', counts } (and starts counting afresh), { type: 'stop' }.
 */
import fs from 'node:fs';
import http from 'node:http';
import inspector from 'node:inspector/promises';
import type { AddressInfo } from 'node:net';
import mongoose from 'mongoose';
import { createApp } from '../src/app';
import { connectMongoose, driverOptions } from '../src/db';
import { createLogger } from '../src/lib/logger';
import { configurePasswordHashing, defaultPasswordThreads } from '../src/lib/passwords';
import { benchConfig } from './benchConfig';
import { CommandCounter, type MonitoredClient } from '../support/commandCounter';
import { ceilingApp, type CeilingName } from './ceiling';
import { openStore, type StoreName } from './stores';

export type ParentMessage =
  | { type: 'take' }
  | { type: 'busy' }
  | { type: 'stop' }
  | { type: 'profile-start' }
  | { type: 'profile-stop'; file: string };
export type ChildMessage =
  | { type: 'profiling' }
  | { type: 'profiled' }
  | { type: 'ready'; port: number }
  | { type: 'counts'; counts: Record<string, number> }
  | { type: 'busy'; requests: number; commands: number }
  | { type: 'failed'; message: string };

/** Both driver copies' MongoClient, for the command monitoring events counted here. */
interface InFlightClient {
  on(event: 'commandStarted' | 'commandSucceeded' | 'commandFailed', listener: () => void): unknown;
}

function send(message: ChildMessage) {
  process.send?.(message);
}

async function main() {
  const storeName = process.env.BENCH_STORE as StoreName;
  const uri = process.env.BENCH_URI;
  if (!uri || !storeName) throw new Error('BENCH_STORE and BENCH_URI are required (run bench/run.ts)');
  const threads = process.env.BENCH_PASSWORD_THREADS;
  configurePasswordHashing({ threads: threads === undefined ? defaultPasswordThreads() : Number(threads) });

  const config = benchConfig();
  const logger = createLogger(config.LOG_LEVEL);
  const counter = new CommandCounter();
  const clientOptions = { ...driverOptions(config), monitorCommands: true };

  await connectMongoose(uri, config, { monitorCommands: true });
  counter.watch(mongoose.connection.getClient() as unknown as MonitoredClient);
  const opened = await openStore(storeName, uri, config, logger, clientOptions);
  if (opened.client) counter.watch(opened.client);

  // A ceiling (bench/ceiling.ts) in place of the shop, with the same store and connections.
  const ceiling = process.env.BENCH_CEILING as CeilingName | undefined;
  const app = ceiling
    ? ceilingApp(ceiling, config, opened.store)
    : createApp({ config, sessionStore: opened.store, logger });
  const server = http.createServer(app);
  // What is still being worked on: requests without a response yet, commands without an answer.
  const busy = { requests: 0, commands: 0 };
  server.on('request', (_req, res) => {
    busy.requests += 1;
    res.once('close', () => (busy.requests -= 1));
  });
  const clients = [mongoose.connection.getClient(), opened.client] as Array<InFlightClient | undefined>;
  for (const client of clients) {
    client?.on('commandStarted', () => (busy.commands += 1));
    client?.on('commandSucceeded', () => (busy.commands -= 1));
    client?.on('commandFailed', () => (busy.commands -= 1));
  }
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  counter.take();

  let profiler: inspector.Session | undefined;
  process.on('message', (message: ParentMessage) => {
    if (message.type === 'take') send({ type: 'counts', counts: counter.take() });
    if (message.type === 'busy') send({ type: 'busy', ...busy });
    // V8's sampling profiler (what `node --cpu-prof` runs), over the measured load only.
    if (message.type === 'profile-start') {
      profiler = new inspector.Session();
      profiler.connect();
      void profiler
        .post('Profiler.enable')
        .then(() => profiler?.post('Profiler.start'))
        .then(() => send({ type: 'profiling' }));
    }
    if (message.type === 'profile-stop' && profiler) {
      void profiler.post('Profiler.stop').then(({ profile }) => {
        fs.writeFileSync(message.file, JSON.stringify(profile));
        profiler?.disconnect();
        send({ type: 'profiled' });
      });
    }
    if (message.type === 'stop') {
      // Requests still in flight finish first; then the databases close.
      const closeDatabases = () =>
        void Promise.allSettled([opened.close(), mongoose.disconnect()]).then(() => process.exit(0));
      server.close(closeDatabases);
      server.closeIdleConnections();
      setTimeout(() => {
        server.closeAllConnections();
        closeDatabases();
      }, 5_000).unref();
    }
  });
  // The parent went away: do not linger.
  process.on('disconnect', () => process.exit(0));
  send({ type: 'ready', port: (server.address() as AddressInfo).port });
}

main().catch((err: unknown) => {
  send({ type: 'failed', message: err instanceof Error ? (err.stack ?? err.message) : String(err) });
  process.exit(1);
});
