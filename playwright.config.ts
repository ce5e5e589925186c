import { defineConfig } from '@playwright/test';

/**
 * Browser tests (`npm run test:e2e`, which builds first): each test file gets the built shop
 * (`node dist/server.js`) on a database of its own, driven by Debian's Chromium; Playwright's own
 * browser download is not used. One file at a time: each starts its own server, and two at once
 * would crowd two cores.
 */
export default defineConfig({
  testDir: 'tests/e2e',
  testMatch: '*.e2e.test.ts',
  workers: 1,
  forbidOnly: Boolean(process.env.CI),
  // Server starts and restarts take seconds; the 10 s action timeout fails a stuck step well before this.
  timeout: 90_000,
  globalSetup: './tests/e2e/support/globalSetup.ts',
  globalTeardown: './tests/setup/globalTeardown.ts',
  // What a failing test leaves: screenshots of its pages, a trace, the server's output.
  outputDir: 'test-results/e2e',
  reporter: [
    ['list'],
    ['html', { open: 'never', outputFolder: 'test-results/e2e-report' }],
    ['./tests/setup/summaryReporter.js'],
  ],
  projects: [
    { name: 'desktop', use: { viewport: { width: 1280, height: 800 } } },
    // The shopping journeys and the accessibility audit again on a phone-sized window.
    {
      name: 'phone',
      use: { viewport: { width: 360, height: 740 } },
      testMatch: /(cart|accessibility)\.e2e\.test\.ts$/,
    },
  ],
  use: {
    browserName: 'chromium',
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        // "localhost" is the loopback address the servers listen on (never ::1): the passkey tests
        // reach their shop by that name, as WebAuthn takes no IP address for a site.
        '--host-resolver-rules=MAP localhost 127.0.0.1',
      ],
    },
    actionTimeout: 10_000,
    navigationTimeout: 10_000,
    screenshot: 'only-on-failure',
    trace: 'retain-on-failure',
  },
});
