import mongoose from 'mongoose';
import { connectMongoose } from '../../../src/db';
import { buildApp, testConfig, uniqueDatabaseUri, type TestApp } from '../../helpers/testApp';
import { TcpProxy, databaseServer, throughProxy } from './tcpProxy';

/** Fast failures, for the fault tests: an outage answers within about a second. */
export const FAST_FAILURE = { MONGODB_TIMEOUT_MS: '1000' };

export interface ProxiedApp extends TestApp {
  proxy: TcpProxy;
}

/**
 * For one test file: a fresh database behind a TCP proxy, with mongoose (whose client the app
 * instance's session store shares) connected through the proxy, configured by `env`. The link is restored after each
 * test, and the database dropped after the last.
 */
export function useProxiedApp(env: Record<string, string> = FAST_FAILURE): () => ProxiedApp {
  let shop: ProxiedApp | undefined;
  beforeAll(async () => {
    const proxy = await TcpProxy.start(databaseServer());
    const uri = throughProxy(uniqueDatabaseUri(), proxy);
    await connectMongoose(uri, testConfig(env));
    await Promise.all(Object.values(mongoose.models).map((model) => model.init()));
    shop = { ...(await buildApp(uri, env)), proxy };
  });
  afterEach(() => shop?.proxy.restore());
  afterAll(async () => {
    if (!shop) return;
    shop.proxy.restore();
    await shop.close().catch(() => {});
    await mongoose.connection.dropDatabase().catch(() => {});
    await mongoose.disconnect();
    await shop.proxy.close();
  });
  return () => {
    if (!shop) throw new Error('useProxiedApp: the app is built in beforeAll');
    return shop;
  };
}
