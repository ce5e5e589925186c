import fs from 'node:fs';
import sharedGlobalSetup from '../../setup/globalSetup';
import { ARTIFACTS_DIR } from './artifacts';

/** The shared setup (a local database when MONGODB_URI is unset), after clearing old failure artifacts. */
export default async function globalSetup(): Promise<void> {
  fs.rmSync(ARTIFACTS_DIR, { recursive: true, force: true });
  await sharedGlobalSetup();
}
