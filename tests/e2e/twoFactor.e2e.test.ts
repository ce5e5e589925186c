import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { Secret, TOTP } from 'otpauth';
import type { Page } from '@playwright/test';
import { emailField, navEmail, passwordField, pathOf, signUpAndLogIn, toNextPage, PASSWORD } from './support/pages';
import { expect, test } from './support/fixtures';

/**
 * Two-step sign-in as a customer lives it (issue #23): turning it on with the key the page shows,
 * signing in with a code, trusting the browser, signing in elsewhere with a recovery code, and the
 * "lost phone" path, where the shop's staff turn it off with the admin CLI.
 */

/** What the customer's authenticator app shows for `key`, `stepsAgo` steps back. */
const appCode = (key: string, stepsAgo = 0) =>
  new TOTP({ secret: Secret.fromBase32(key), algorithm: 'SHA1', digits: 6, period: 30 }).generate({
    timestamp: Date.now() - stepsAgo * 30_000,
  });

async function passwordStep(page: Page, email: string) {
  await page.goto('/login');
  await emailField(page).fill(email);
  await passwordField(page).fill(PASSWORD);
  await toNextPage(page, () => page.getByRole('button', { name: 'Log in' }).click());
}

async function enterCode(page: Page, code: string, trust = false) {
  await page.getByLabel('Code', { exact: true }).fill(code);
  if (trust) await page.getByLabel(/Trust this browser for 30 days/).check();
  await toNextPage(page, () => page.getByRole('button', { name: 'Continue' }).click());
}

async function logOut(page: Page) {
  await toNextPage(page, () => page.getByRole('button', { name: 'Log out' }).click());
}

test('turn on two-step sign-in, sign in with a code, trust the browser, use a recovery code, lose the phone', async ({
  page,
  newContext,
  server,
}) => {
  const email = await signUpAndLogIn(page);

  // Turning it on: the QR code loads from the shop itself (the CSP allows it), the key is written out.
  await page.goto('/account');
  await expect(page.getByTestId('two-factor-status')).toContainText('Off');
  await toNextPage(page, () => page.getByRole('link', { name: 'Turn on two-step sign-in' }).click());
  const qr = page.getByRole('img', { name: /QR code/ });
  await expect(qr).toBeVisible();
  // Loaded and decoded (a CSP refusal or a 404 would leave it broken, with no natural width).
  const loaded = await qr.evaluate((img) => {
    const image = img as unknown as { complete: boolean; naturalWidth: number };
    return image.complete && image.naturalWidth > 0;
  });
  expect(loaded).toBe(true);
  const key = (await page.locator('#totp-secret').textContent())!.trim();
  expect(key).toMatch(/^[A-Z2-7]{32}$/);
  // The previous step's code (accepted once): the sign-in below then has the current one to itself.
  await page.getByLabel('Code from the app').fill(appCode(key, 1));
  await toNextPage(page, () => page.getByRole('button', { name: 'Turn on two-step sign-in' }).click());

  const codes = await page.locator('#recovery-codes li').allTextContents();
  expect(codes).toHaveLength(10);
  const downloading = page.waitForEvent('download');
  await page.getByRole('link', { name: 'Download as a text file' }).click();
  const download = await downloading;
  const saved = fs.readFileSync((await download.path())!, 'utf8');
  for (const code of codes) expect(saved).toContain(code.trim());
  await page.goto('/account');
  await expect(page.getByTestId('recovery-codes-left')).toContainText('10 unused recovery codes left');

  // Signing in again: the password alone does not do it; the app's code does, and the browser is trusted.
  await logOut(page);
  await passwordStep(page, email);
  expect(pathOf(page)).toBe('/login/two-factor');
  await expect(navEmail(page)).toHaveCount(0);
  await enterCode(page, appCode(key), true);
  await expect(navEmail(page)).toHaveText(email);

  // A trusted browser skips the code (never the password).
  await logOut(page);
  await passwordStep(page, email);
  await expect(navEmail(page)).toHaveText(email);
  await page.goto('/account');
  await expect(page.getByText('Signed in with the password and a trusted browser')).toBeVisible();
  await expect(page.getByText('Trusted (skips the code)')).toBeVisible();

  // Another browser, without the phone: a recovery code, which works once.
  const other = await (await newContext()).newPage();
  await passwordStep(other, email);
  await enterCode(other, codes[0]!.trim());
  await expect(navEmail(other)).toHaveText(email);
  await other.goto('/account');
  await expect(other.getByTestId('recovery-codes-left')).toContainText('9 unused recovery codes left');
  await logOut(other);
  await passwordStep(other, email);
  await enterCode(other, codes[0]!.trim());
  await expect(other.getByRole('alert')).toContainText('That code is not right');

  // Lost phone and codes: after checking who they are, the staff turn the factor off (and mail them).
  const cli = await promisify(execFile)(
    process.execPath,
    [path.join(__dirname, '..', '..', 'dist', 'cli', 'admin.js'), 'reset-two-factor', email],
    {
      env: {
        PATH: process.env.PATH,
        NODE_ENV: 'test',
        MONGODB_URI: server.databaseUri,
        SESSION_SECRET: 'unused-by-this-command-but-required-0123456789',
        MAIL_OUTBOX_DIR: server.outboxDir,
      },
    },
  );
  expect(cli.stdout).toContain(`Two-step sign-in is off for ${email}`);
  const third = await (await newContext()).newPage();
  await passwordStep(third, email);
  await expect(navEmail(third)).toHaveText(email);
  await third.goto('/account');
  await expect(third.getByTestId('two-factor-status')).toContainText('Off');
});
