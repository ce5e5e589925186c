import fs from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { emailField, navEmail, pathOf, signUpAndLogIn, submitSignup } from './support/pages';
import { VIEWPORT, useShop } from './support/shop';

const { browserTest } = useShop();
const SCREENSHOTS_DIR = path.resolve(__dirname, '..', '..', 'docs', 'screenshots');

/** Saves what the viewport shows into docs/screenshots/<name>.png and checks the file is a PNG of that size. */
async function saveScreenshot(page: Page, name: string): Promise<void> {
  const file = path.join(SCREENSHOTS_DIR, `${name}.png`);
  fs.mkdirSync(SCREENSHOTS_DIR, { recursive: true });
  await page.screenshot({ path: file, animations: 'disabled', caret: 'hide' });
  const png = fs.readFileSync(file);
  expect(png.subarray(1, 4).toString()).toBe('PNG');
  // The IHDR chunk holds the width and height at bytes 16 and 20.
  expect({ width: png.readUInt32BE(16), height: png.readUInt32BE(20) }).toEqual(VIEWPORT);
}

describe('screenshots of the current pages for the README (docs/screenshots)', () => {
  browserTest('home', async ({ page }) => {
    const response = await page.goto('/');
    expect(response?.status()).toBe(200);
    await saveScreenshot(page, 'home');
  });

  browserTest('login', async ({ page }) => {
    await page.goto('/login');
    expect(await page.getByRole('heading', { level: 1 }).innerText()).toBe('Log in');
    await saveScreenshot(page, 'login');
  });

  browserTest('signup with validation errors', async ({ page }) => {
    await submitSignup(page, 'ada@example', 'short', 'shorter');
    expect(pathOf(page)).toBe('/signup');
    expect(await emailField(page).inputValue()).toBe('ada@example');
    expect(await page.getByText('Enter a valid email address.').isVisible()).toBe(true);
    await saveScreenshot(page, 'signup-errors');
  });

  browserTest('account', async ({ page }) => {
    // This test file has a database of its own, so a fixed, readable email is free.
    const email = await signUpAndLogIn(page, 'ada@example.com');
    await page.goto('/account');
    expect(await page.getByTestId('account-email').innerText()).toBe(email);
    expect(await navEmail(page).innerText()).toBe(email);
    await saveScreenshot(page, 'account');
  });
});
