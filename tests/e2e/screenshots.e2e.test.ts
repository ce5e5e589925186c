import fs from 'node:fs';
import path from 'node:path';
import type { Page } from '@playwright/test';
import { PNG } from 'pngjs';
import { DEMO_ADMIN } from '../../src/seed/demoData';
import { waitFor } from '../../support/waitFor';
import {
  PASSWORD,
  confirmEmailChangeOnPage,
  emailField,
  mailedLink,
  navEmail,
  passwordField,
  pathOf,
  signUpAndLogIn,
  submitLogin,
  submitSignup,
  toNextPage,
} from './support/pages';
import { DEMO } from './support/catalog';
import { checkOutAndPay } from './support/checkout';
import { addToCart, cartRows, openProducts, orders, productCards } from './support/shopping';
import { expect, test } from './support/fixtures';

// The demo products (src/seed/demoData.ts), so every run shows the same shop.
test.use({ seed: true });

/** Browsers as the account page names them ("Firefox 128 on Windows"): the same on every run. */
const LAPTOP_UA = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0';
const PHONE_UA =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1';
// `npm run screenshots` refreshes the README's pictures in docs/screenshots; an ordinary run writes
// to test-results so that running the tests leaves the working tree clean.
const SCREENSHOTS_DIR = path.resolve(__dirname, '..', '..', process.env.SCREENSHOTS_DIR ?? 'test-results/screenshots');

const IMAGES_IN_VIEW_LOADED = `Array.from(document.images).every((img) => {
  const box = img.getBoundingClientRect();
  const inView = box.bottom > 0 && box.top < window.innerHeight;
  return !inView || (img.complete && img.naturalWidth > 0);
})`;

/**
 * Every date and time the server wrote into the page (all in <time> elements) shown as one fixed
 * moment, so that a picture changes when the page does, not when the clock does.
 */
const FREEZE_TIMES = `document.querySelectorAll('time').forEach((time) => {
  time.textContent = time.textContent.replace(/\\d{4}-\\d{2}-\\d{2}/, '2026-05-04').replace(/\\d{2}:\\d{2}/, '10:30');
})`;

/**
 * Whether two PNGs show the same picture: the same size, and no colour of any pixel more than 8 (of
 * 255) apart. Their bytes differ anyway, and Chromium draws shadows and rounded corners a shade
 * (1 or 2) differently from run to run; a change anyone could see moves far more than that.
 */
function samePicture(a: Buffer, b: Buffer): boolean {
  const [first, second] = [PNG.sync.read(a), PNG.sync.read(b)];
  if (first.width !== second.width || first.height !== second.height) return false;
  return first.data.every((value, i) => Math.abs(value - (second.data[i] ?? 0)) <= 8);
}

/**
 * Saves what the viewport (1280×800, or a phone's) shows into SCREENSHOTS_DIR/<name>.png, checked to
 * be a PNG of that size. An existing file showing the same pixels is left alone, so that
 * `npm run screenshots` changes only the pictures of pages that changed.
 */
async function saveScreenshot(page: Page, name: string): Promise<void> {
  const file = path.join(SCREENSHOTS_DIR, `${name}.png`);
  fs.mkdirSync(SCREENSHOTS_DIR, { recursive: true });
  // Product images load lazily: every image in view must be there before the picture is taken.
  // Polled from here: page.waitForFunction polls with eval inside the page, which our CSP forbids.
  await waitFor(`the images of ${name}`, () => page.evaluate<boolean>(IMAGES_IN_VIEW_LOADED), 15_000, 50);
  await page.evaluate(FREEZE_TIMES);
  const png = await page.screenshot({ animations: 'disabled', caret: 'hide' });
  expect(png.subarray(1, 4).toString()).toBe('PNG');
  // The IHDR chunk holds the width and height at bytes 16 and 20.
  expect({ width: png.readUInt32BE(16), height: png.readUInt32BE(20) }).toEqual(page.viewportSize());
  if (!fs.existsSync(file) || !samePicture(fs.readFileSync(file), png)) fs.writeFileSync(file, png);
}

test.describe('screenshots of the current pages (for the README: npm run screenshots)', () => {
  test('home', async ({ page }) => {
    const response = await page.goto('/');
    expect(response?.status()).toBe(200);
    await saveScreenshot(page, 'home');
  });

  test('login', async ({ page }) => {
    await page.goto('/login');
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Log in');
    await saveScreenshot(page, 'login');
  });

  test('signup with validation errors', async ({ page }) => {
    await submitSignup(page, 'ada@example', 'short', 'shorter');
    expect(pathOf(page)).toBe('/signup');
    await expect(emailField(page)).toHaveValue('ada@example');
    await expect(page.getByText('Enter a valid email address.')).toBeVisible();
    await saveScreenshot(page, 'signup-errors');
  });

  test('products and a product', async ({ page }) => {
    await page.goto('/products');
    expect(await productCards(page)).toHaveLength(8);
    expect((await productCards(page))[0]).toEqual(DEMO.mug);
    await saveScreenshot(page, 'products');

    await toNextPage(page, () => page.getByRole('link', { name: DEMO.mug.title }).click());
    await expect(page.getByRole('heading', { level: 1 })).toHaveText(DEMO.mug.title);
    await saveScreenshot(page, 'product');
  });

  test('cart, orders and account, with two devices signed in', async ({ newContext }) => {
    const page = await (await newContext({ userAgent: LAPTOP_UA })).newPage();
    // This test file has a database of its own, so a fixed, readable email is free.
    const email = await signUpAndLogIn(page, 'ada@example.com');
    await openProducts(page);
    await addToCart(page, DEMO.mug.title);
    await openProducts(page);
    await addToCart(page, DEMO.notebook.title);
    // Opened again, so that the "Added …" message is not in the picture.
    await page.goto('/cart');
    expect((await cartRows(page)).map((row) => row.product)).toEqual([DEMO.mug.title, DEMO.notebook.title]);
    await saveScreenshot(page, 'cart');

    await checkOutAndPay(page);
    await page.goto('/orders');
    // $32.50 and standard shipping.
    expect((await orders(page)).map((order) => order.total)).toEqual(['$37.45']);
    await saveScreenshot(page, 'orders');

    const phone = await (await newContext({ userAgent: PHONE_UA })).newPage();
    await submitLogin(phone, email);
    await page.goto('/account');
    await expect(page.getByTestId('account-email')).toHaveText(email);
    await expect(navEmail(page)).toHaveText(email);
    const sessions = await page.getByTestId('session').allInnerTexts();
    expect(sessions).toHaveLength(2);
    expect(sessions).toEqual(
      expect.arrayContaining([
        expect.stringContaining('Firefox 128 on Windows This device'),
        expect.stringContaining('Safari 17 on iOS'),
      ]),
    );
  });

  test('account: sessions, remembered browsers and the activity log', async ({ newContext }) => {
    // Tall enough for the whole account page.
    const viewport = { width: 1280, height: 1400 };
    const laptop = await (await newContext({ userAgent: LAPTOP_UA, viewport })).newPage();
    const email = await signUpAndLogIn(laptop, 'grace@example.com');
    const phoneContext = await newContext({ userAgent: PHONE_UA });
    const phone = await phoneContext.newPage();
    await phone.goto('/login');
    await emailField(phone).fill(email);
    await passwordField(phone).fill(PASSWORD);
    await phone.getByLabel('Remember me on this browser').check();
    await toNextPage(phone, () => phone.getByRole('button', { name: 'Log in' }).click());
    // The phone's browser was closed: "remember me" signs it back in.
    await phoneContext.clearCookies({ name: 'shop.sid' });
    await phone.goto('/account');
    expect(pathOf(phone)).toBe('/account');

    await laptop.goto('/account');
    const sessions = await laptop.getByTestId('session').allInnerTexts();
    expect(sessions).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/Firefox 128 on Windows This device\s+Signed in with the password/),
        expect.stringMatching(/Safari 17 on iOS\s+Signed in with “remember me”/),
      ]),
    );
    await expect(laptop.getByTestId('remembered-browser')).toHaveText([/Safari 17 on iOS.*last used/s]);
    await saveScreenshot(laptop, 'account');

    // An address change, confirmed through the mailed link, for the activity log.
    const form = laptop.locator('form[action="/account/email"]');
    await form.getByLabel('New email address').fill('grace.h@example.com');
    await form.getByLabel('Your password').fill(PASSWORD);
    await toNextPage(laptop, () => form.getByRole('button', { name: 'Change email' }).click());
    await laptop.goto(await mailedLink('grace.h@example.com', '/account/email/verify/'));
    await confirmEmailChangeOnPage(laptop);
    await expect(laptop.getByTestId('account-email')).toHaveText('grace.h@example.com');

    await laptop.setViewportSize({ width: 1280, height: 800 });
    await laptop.goto('/account/activity');
    await expect(laptop.locator('.activity tbody tr')).toHaveCount(5);
    await expect(laptop.locator('.activity tbody tr').first()).toContainText('Email address changed');
    await saveScreenshot(laptop, 'account-activity');
  });

  test('on a phone: the products and a guest cart', async ({ newContext }) => {
    const phone = await (await newContext({ userAgent: PHONE_UA, viewport: { width: 390, height: 844 } })).newPage();
    await phone.goto('/products');
    await saveScreenshot(phone, 'phone-products');
    await addToCart(phone, DEMO.mug.title);
    await addToCart(phone, DEMO.mug.title);
    await addToCart(phone, DEMO.notebook.title);
    await phone.goto('/cart');
    expect(await cartRows(phone)).toHaveLength(2);
    await saveScreenshot(phone, 'phone-cart');
  });

  test('admin: every product, and an edit with errors', async ({ page }) => {
    await submitLogin(page, DEMO_ADMIN.email, DEMO_ADMIN.password);
    await page.goto('/admin/products');
    await expect(page.getByTestId('admin-product')).toHaveCount(12);
    await saveScreenshot(page, 'admin-products');

    await toNextPage(page, () => page.getByRole('link', { name: `Edit ${DEMO.mug.title}` }).click());
    await page.getByLabel('Title', { exact: true }).fill('Mu');
    await page.getByLabel('Price (USD)', { exact: true }).fill('abc');
    await toNextPage(page, () => page.getByRole('button', { name: 'Save changes' }).click());
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Edit product');
    await expect(page.getByText('The title needs 3 to 100 characters.')).toBeVisible();
    await expect(page.getByText('Enter a price such as 12.50: more than 0, at most two decimals.')).toBeVisible();
    await saveScreenshot(page, 'admin-edit-errors');
  });
});
