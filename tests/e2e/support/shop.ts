import fs from 'node:fs';
import mongoose from 'mongoose';
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Page } from 'playwright-core';
import { uniqueDatabaseUri } from '../../helpers/testApp';
import { saveFailureArtifacts } from './artifacts';
import { seedDemoProducts } from './catalog';
import { ShopServer } from './server';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const VIEWPORT = { width: 1280, height: 800 };
const ACTION_TIMEOUT_MS = 10_000;

export interface BrowserTestContext {
  page: Page;
  context: BrowserContext;
  server: ShopServer;
  /**
   * Another browser context (a second device or person: cookies of its own), closed after the test
   * and included in the failure screenshots.
   */
  newContext(options?: BrowserContextOptions): Promise<BrowserContext>;
}

export interface ShopOptions {
  /** Adds the demo user and its dozen products (src/seed/demoData.ts) before the server starts. */
  seed?: boolean;
}

export interface BrowserTestOptions {
  /** Lets a test inject inline scripts (axe-core) despite the app's `script-src 'self'`. */
  bypassCSP?: boolean;
}

async function launchChromium(): Promise<Browser> {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(`Chromium is not at ${CHROMIUM}: install it with \`apt-get install chromium\` (Debian)`);
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

async function dropDatabase(uri: string): Promise<void> {
  const connection = await mongoose.createConnection(uri, { serverSelectionTimeoutMS: 3000 }).asPromise();
  try {
    await connection.dropDatabase();
  } finally {
    await connection.close();
  }
}

/**
 * For one test file: the built shop on a database of its own and a headless Chromium, both started
 * before the first test and always stopped after the last. `browserTest` gives each test a fresh
 * browser context (no cookies), and keeps screenshots and HTML when it fails.
 */
export function useShop({ seed = false }: ShopOptions = {}) {
  const databaseUri = uniqueDatabaseUri();
  let server: ShopServer | undefined;
  let browser: Browser | undefined;

  beforeAll(async () => {
    if (seed) await seedDemoProducts(databaseUri);
    server = await ShopServer.start(databaseUri);
    browser = await launchChromium();
  });

  afterAll(async () => {
    // Both are stopped even when one of them fails to.
    const stopped = await Promise.allSettled([browser?.close(), server?.stop()]);
    await dropDatabase(databaseUri);
    for (const result of stopped) if (result.status === 'rejected') throw result.reason;
  });

  function browserTest(
    name: string,
    run: (t: BrowserTestContext) => Promise<void>,
    { bypassCSP = false }: BrowserTestOptions = {},
  ): void {
    it(name, async () => {
      if (!server || !browser) throw new Error('useShop: the server or the browser did not start (see beforeAll)');
      const openBrowser = browser;
      const baseURL = server.url;
      const contexts: BrowserContext[] = [];
      const openContext = async (options: BrowserContextOptions = {}) => {
        const opened = await openBrowser.newContext({ baseURL, viewport: VIEWPORT, bypassCSP, ...options });
        opened.setDefaultTimeout(ACTION_TIMEOUT_MS);
        contexts.push(opened);
        return opened;
      };
      const context = await openContext();
      try {
        await run({ page: await context.newPage(), context, server, newContext: openContext });
      } catch (err) {
        const testName = expect.getState().currentTestName ?? name;
        const pages = contexts.flatMap((opened) => opened.pages());
        await saveFailureArtifacts(testName, pages, server.log()).then(
          (dir) => console.error(`Screenshots and HTML of the failing pages: ${dir}`),
          (saveError: Error) => console.error(`Could not save the failure artifacts: ${saveError.message}`),
        );
        throw err;
      } finally {
        await Promise.all(contexts.map((opened) => opened.close()));
      }
    });
  }

  return { browserTest };
}
