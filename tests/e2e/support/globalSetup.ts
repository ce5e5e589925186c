import fs from 'node:fs';
import type { FullConfig } from '@playwright/test';
import sharedGlobalSetup from '../../setup/globalSetup';

/** Checks that the browser is there, then the shared setup (a local database when MONGODB_URI is unset). */
export default async function globalSetup(config: FullConfig): Promise<void> {
  const chromium = config.projects[0]?.use.launchOptions?.executablePath;
  if (chromium && !fs.existsSync(chromium)) {
    throw new Error(`Chromium is not at ${chromium}: install it with \`apt-get install chromium\` (Debian)`);
  }
  await sharedGlobalSetup();
}
