/**
 * Heap growth of the app holding many logged-in sessions (run with --expose-gc by run.ts). The
 * sessions are created through the store, as a login would leave them, not by thousands of bcrypt
 * logins; then a sample of them is served GET /products.
 */
import { createHmac, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SessionData, Store } from 'express-session';
import mongoose from 'mongoose';
import { createApp } from '../src/app';
import { connectMongoose, driverOptions } from '../src/db';
import { createLogger } from '../src/lib/logger';
import { User } from '../src/models/User';
import { BENCH_SECRET, PROXY_HEADERS, benchConfig } from './benchConfig';
import { COOKIE_NAME } from './client';
import type { MemoryReport } from './processes';
import { openStore, type StoreName } from './stores';

const SERVED = 200;
const BATCH = 4;
const MB = 1024 * 1024;

function heapMb(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with --expose-gc');
  for (let i = 0; i < 3; i += 1) gc();
  return process.memoryUsage().heapUsed / MB;
}

/** express-session's signed cookie value (cookie-signature): `s:<sid>.<base64 HMAC-SHA256>`. */
function signedCookie(sid: string): string {
  const mac = createHmac('sha256', BENCH_SECRET).update(sid).digest('base64').replace(/=+$/, '');
  return `${COOKIE_NAME}=${encodeURIComponent(`s:${sid}.${mac}`)}`;
}

function setSession(store: Store, sid: string, data: SessionData): Promise<void> {
  return new Promise((resolve, reject) => store.set(sid, data, (err) => (err ? reject(err) : resolve())));
}

async function main() {
  const storeName = process.env.BENCH_STORE as StoreName;
  const uri = process.env.BENCH_URI ?? '';
  const count = Number(process.env.BENCH_SESSIONS ?? 10_000);
  const config = benchConfig();
  const logger = createLogger('warn');
  await connectMongoose(uri, config);
  const opened = await openStore(storeName, uri, config, logger, driverOptions(config));
  const app = createApp({ config, sessionStore: opened.store, logger });
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const users = await User.find().select('email').limit(50).lean();
  if (users.length === 0) throw new Error('seed users first');

  const get = (cookie?: string) =>
    fetch(`${base}/products`, { headers: { ...PROXY_HEADERS, ...(cookie ? { cookie } : {}) } }).then(async (res) => {
      await res.arrayBuffer();
      // Only a logged-in page is marked no-store (src/auth/currentUser.ts).
      return res.status === 200 && res.headers.get('cache-control') === 'no-store';
    });
  // Warm up first (views compiled and cached, connections open), so that this is not counted as growth.
  await get(signedCookie('warm-up'));
  for (let i = 0; i < 50; i += 1) await get();

  const before = heapMb();
  const started = Date.now();
  const ids: string[] = [];
  for (let i = 0; i < count; i += BATCH) {
    await Promise.all(
      Array.from({ length: Math.min(BATCH, count - i) }, (_, j) => {
        const sid = randomBytes(24).toString('base64url');
        const user = users[(i + j) % users.length]!;
        ids.push(sid);
        const expires = new Date(Date.now() + config.SESSION_MAX_AGE * 1000);
        const data = {
          cookie: {
            originalMaxAge: config.SESSION_MAX_AGE * 1000,
            expires,
            secure: true,
            httpOnly: true,
            path: '/',
            sameSite: 'lax',
          },
          isLoggedIn: true,
          user: { _id: String(user._id), email: user.email },
          userAgent:
            'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36',
          csrfToken: randomBytes(32).toString('hex'),
        } as unknown as SessionData;
        return setSession(opened.store, sid, data);
      }),
    );
  }
  const createSeconds = (Date.now() - started) / 1000;
  const afterCreate = heapMb();

  let served = 0;
  for (let i = 0; i < SERVED; i += 1) {
    if (await get(signedCookie(ids[(i * 7919) % ids.length]!))) served += 1;
  }
  const afterServe = heapMb();

  const report: MemoryReport = {
    store: storeName,
    sessions: count,
    heapBeforeMb: before,
    heapAfterCreateMb: afterCreate,
    heapAfterServeMb: afterServe,
    served,
    createSeconds,
  };
  process.send?.({ type: 'memory', report });
  server.closeAllConnections();
  server.close();
  await opened.close();
  await mongoose.disconnect();
  process.exit(0);
}

main().catch((err: unknown) => {
  process.send?.({ type: 'failed', message: err instanceof Error ? (err.stack ?? err.message) : String(err) });
  process.exit(1);
});
