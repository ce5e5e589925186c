import fs from 'node:fs';
import { test as base, type BrowserContext, type BrowserContextOptions } from '@playwright/test';
import { dropDatabase, freshDatabaseUri } from '../../../support/database';
import { ShopProcess } from '../../../support/shopProcess';
import { seedDemoProducts } from './catalog';
import { useOutbox } from './pages';

export { expect } from '@playwright/test';

/**
 * The shop of the test file running in this worker: the built server (`node dist/server.js`, as
 * `npm start` runs it) on a database of its own, started for the file's first test and stopped,
 * its database dropped, when the next file starts or the worker ends. Tests of one file share it.
 */
class ShopOfTheFile {
  private current: { file: string; server: ShopProcess; databaseUri: string } | undefined;

  async for(file: string, seed: boolean, nodeEnv: string, siteName?: 'localhost'): Promise<ShopProcess> {
    if (this.current?.file === file) return this.current.server;
    await this.close();
    const serverUri = process.env.MONGODB_URI;
    if (!serverUri) throw new Error('MONGODB_URI is not set (tests/setup/globalSetup.ts sets it)');
    const databaseUri = freshDatabaseUri(serverUri, 'shop_e2e');
    if (seed) await seedDemoProducts(databaseUri);
    // All browser traffic comes from 127.0.0.1: keep the per-IP signup limit out of the way.
    const env = { SIGNUP_MAX_PER_HOUR: '1000', GUEST_CARTS_PER_HOUR: '100000', NODE_ENV: nodeEnv };
    const server = await ShopProcess.start({ databaseUri, env, mode: 'dist', until: 'healthy', siteName });
    this.current = { file, server, databaseUri };
    return server;
  }

  async close(): Promise<void> {
    const current = this.current;
    this.current = undefined;
    if (!current) return;
    await current.server.stop();
    await dropDatabase(current.databaseUri);
  }
}

interface ShopFixtures {
  /** Adds the demo user and its dozen products (src/seed/demoData.ts) before the server starts: `test.use({ seed: true })`. */
  seed: boolean;
  /** The server's NODE_ENV: `test.use({ nodeEnv: 'development' })` for what only development has (/dev/mail). */
  nodeEnv: 'test' | 'development';
  /** The host name of the site (APP_URL and `baseURL`): `test.use({ siteName: 'localhost' })` for passkeys. */
  siteName: '127.0.0.1' | 'localhost';
  /** The server of this test file; `baseURL` points at it. */
  server: ShopProcess;
  /**
   * Another browser context (a second device or person: cookies of its own), with the project's
   * options, closed after the test; its pages are in the failure screenshots and the trace too.
   */
  newContext: (options?: BrowserContextOptions) => Promise<BrowserContext>;
}

export const test = base.extend<ShopFixtures, { shopOfTheFile: ShopOfTheFile }>({
  shopOfTheFile: [
    // eslint-disable-next-line no-empty-pattern -- Playwright reads the fixtures a fixture needs from this pattern
    async ({}, use) => {
      const shop = new ShopOfTheFile();
      await use(shop);
      await shop.close();
    },
    { scope: 'worker' },
  ],
  seed: [false, { option: true }],
  nodeEnv: ['test', { option: true }],
  siteName: ['127.0.0.1', { option: true }],
  server: async ({ shopOfTheFile, seed, nodeEnv, siteName }, use, testInfo) => {
    const server = await shopOfTheFile.for(
      testInfo.file,
      seed,
      nodeEnv,
      siteName === 'localhost' ? siteName : undefined,
    );
    useOutbox(server.outboxDir);
    await use(server);
    if (testInfo.status !== testInfo.expectedStatus) {
      const file = testInfo.outputPath('server.log');
      fs.writeFileSync(file, server.log());
      await testInfo.attach('server.log', { path: file, contentType: 'text/plain' });
    }
  },
  baseURL: async ({ server }, use) => use(server.siteUrl),
  newContext: async ({ browser }, use) => {
    const contexts: BrowserContext[] = [];
    await use(async (options = {}) => {
      const context = await browser.newContext(options);
      contexts.push(context);
      return context;
    });
    await Promise.all(contexts.map((context) => context.close()));
  },
});
