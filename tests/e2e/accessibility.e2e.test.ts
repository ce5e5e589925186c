import fs from 'node:fs';
import AxeBuilder from '@axe-core/playwright';
import type { Result } from 'axe-core';
import type { Page, Response } from '@playwright/test';
import {
  PASSWORD,
  emailField,
  isFocused,
  navEmail,
  passwordField,
  pathOf,
  confirmSignup,
  signUpAndLogIn,
  submitLogin,
  submitSignup,
  tab,
  toNextPage,
  uniqueEmail,
} from './support/pages';
import { DEMO_ADMIN } from '../../src/seed/demoData';
import { tinyPng } from '../../support/images';
import { DEMO } from './support/catalog';
import { CARDS, continueToPayment, expectOrderStatus, payWithCard } from './support/checkout';
import { addToCart, addToCartButton, cartRows, navCartCount, openProducts } from './support/shopping';
import { expect, test } from './support/fixtures';

test.use({ seed: true });
// The project's axe-core, not the older one @axe-core/playwright pins (~4.13): the newest rules.
const AXE_SOURCE = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const BLOCKING_IMPACTS = ['serious', 'critical'];

/** Runs axe-core on the page as it is now (and its frames) and returns its violations. */
async function axeViolations(page: Page): Promise<Result[]> {
  const axe = new AxeBuilder({ page, axeSource: AXE_SOURCE }).options({ resultTypes: ['violations'] });
  const results = await axe.analyze();
  return results.violations;
}

/** One readable line per violation and element, for the failure message. */
function describeViolation(violation: Result): string {
  const elements = violation.nodes.map((node) => `\n    ${node.target.join(' ')}: ${node.failureSummary ?? ''}`);
  return `${violation.impact} ${violation.id}: ${violation.help} (${violation.helpUrl})${elements.join('')}`;
}

/** Fails with every serious or critical violation axe finds on the page as it is now. */
async function expectNoBlockingViolations(page: Page): Promise<void> {
  const violations = await axeViolations(page);
  const blocking = violations.filter((violation) => BLOCKING_IMPACTS.includes(violation.impact ?? ''));
  expect(blocking.map(describeViolation), pathOf(page)).toEqual([]);
}

/** Logs in, then puts the mug and the notebook in the cart; ends on /cart. */
async function fillCart(page: Page): Promise<void> {
  await signUpAndLogIn(page);
  await openProducts(page);
  await addToCart(page, DEMO.mug.title);
  await openProducts(page);
  await addToCart(page, DEMO.notebook.title);
  await page.goto('/cart');
  if ((await cartRows(page)).length !== 2) throw new Error(`the cart does not hold two lines: ${page.url()}`);
}

/** The demo admin added the seeded products, so the admin list is full. */
const logInAsDemoAdmin = (page: Page) => submitLogin(page, DEMO_ADMIN.email, DEMO_ADMIN.password);

/** Submits the add-product form with a 2-character title and the price "abc". */
async function refusedProductForm(page: Page): Promise<Response | null> {
  await logInAsDemoAdmin(page);
  await page.goto('/admin/add-product');
  await page.getByLabel('Title', { exact: true }).fill('ab');
  await page.getByLabel('Price (USD)', { exact: true }).fill('abc');
  await page.getByLabel('Image', { exact: true }).setInputFiles({
    name: 'tray.png',
    mimeType: 'image/png',
    buffer: tinyPng(),
  });
  await page.getByLabel('Description', { exact: true }).fill('A tray with raised edges.');
  const refused = page.waitForResponse((response) => response.request().method() === 'POST');
  await toNextPage(page, () => page.getByRole('button', { name: 'Add product' }).click());
  return refused;
}

interface AuditedPage {
  name: string;
  status: number;
  heading?: string;
  open(page: Page): Promise<Response | null>;
}

const AUDITED_PAGES: AuditedPage[] = [
  { name: 'home', status: 200, open: (page) => page.goto('/') },
  { name: 'login', status: 200, heading: 'Log in', open: (page) => page.goto('/login') },
  { name: 'signup', status: 200, heading: 'Create an account', open: (page) => page.goto('/signup') },
  {
    name: 'signup with errors',
    status: 422,
    heading: 'Create an account',
    open: async (page) => {
      const refused = page.waitForResponse((response) => response.request().method() === 'POST');
      await submitSignup(page, 'not-an-email', 'short', 'shorter');
      return refused;
    },
  },
  {
    name: 'account',
    status: 200,
    heading: 'Your account',
    open: async (page) => {
      await signUpAndLogIn(page);
      return page.goto('/account');
    },
  },
  { name: 'not found', status: 404, heading: 'Page not found', open: (page) => page.goto('/no-such-page') },
  { name: 'products', status: 200, heading: 'All products', open: (page) => page.goto('/products') },
  {
    name: 'product detail',
    status: 200,
    heading: DEMO.mug.title,
    open: async (page) => {
      await page.goto('/products');
      const opened = page.waitForResponse((response) => new URL(response.url()).pathname.startsWith('/products/'));
      await toNextPage(page, () => page.getByRole('link', { name: DEMO.mug.title }).click());
      return opened;
    },
  },
  {
    name: 'cart with two items',
    status: 200,
    heading: 'Your cart',
    open: async (page) => {
      await fillCart(page);
      return page.goto('/cart');
    },
  },
  {
    name: "a guest's cart",
    status: 200,
    heading: 'Your cart',
    open: async (page) => {
      await page.goto('/products');
      await addToCart(page, DEMO.candle.title);
      return page.goto('/cart');
    },
  },
  {
    name: 'admin products',
    status: 200,
    heading: 'Products',
    open: async (page) => {
      await logInAsDemoAdmin(page);
      return page.goto('/admin/products');
    },
  },
  {
    name: 'admin users',
    status: 200,
    heading: 'Users',
    open: async (page) => {
      await logInAsDemoAdmin(page);
      return page.goto('/admin/users');
    },
  },
  {
    name: 'add product',
    status: 200,
    heading: 'Add a product',
    open: async (page) => {
      await logInAsDemoAdmin(page);
      return page.goto('/admin/add-product');
    },
  },
  { name: 'add product with errors', status: 422, heading: 'Add a product', open: refusedProductForm },
  { name: 'password reset request', status: 200, heading: 'Reset your password', open: (page) => page.goto('/reset') },
  {
    name: 'two-step sign-in setup',
    status: 200,
    heading: 'Two-step sign-in',
    open: async (page) => {
      await signUpAndLogIn(page);
      return page.goto('/account/two-factor');
    },
  },
];

test.describe('axe-core finds no serious or critical violations', () => {
  // axe runs inside the page and builds its checks with `new Function`, which the app's
  // Content-Security-Policy rightly refuses (no 'unsafe-eval').
  test.use({ bypassCSP: true });

  for (const audited of AUDITED_PAGES) {
    test(`on the ${audited.name} page`, async ({ page }) => {
      const response = await audited.open(page);
      expect(response?.status()).toBe(audited.status);
      if (audited.heading) {
        await expect(page.getByRole('heading', { level: 1 })).toHaveText(audited.heading);
      }

      await expectNoBlockingViolations(page);
    });
  }

  // One purchase, audited at each page it passes through (one test: each page needs a cart to check out).
  test('on the checkout (also with errors), Test Pay, the paid order and the orders pages', async ({ page }) => {
    await fillCart(page);
    await page.goto('/checkout');
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Checkout');
    await expectNoBlockingViolations(page);
    // Sent empty: the form again, each field with its error.
    await toNextPage(page, () => page.getByRole('button', { name: 'Continue to payment' }).click());
    await expect(page.getByText('Enter the name of who receives it (1 to 100 characters).')).toBeVisible();
    await expectNoBlockingViolations(page);

    await continueToPayment(page);
    // The mug, the notebook and standard shipping.
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Pay $37.45');
    await expectNoBlockingViolations(page);

    await payWithCard(page, CARDS.success);
    await expectOrderStatus(page, 'paid');
    await expectNoBlockingViolations(page);

    await page.goto('/orders');
    await expect(page.getByTestId('order')).toHaveCount(1);
    await expectNoBlockingViolations(page);
  });
});

test.describe('keyboard use', () => {
  test('Tab goes to "Skip to content", then through the navigation; Enter on Log in opens it', async ({ page }) => {
    await page.goto('/');
    const navigation = page.getByRole('navigation', { name: 'Main' });
    const navTexts = (await navigation.getByRole('link').allInnerTexts()).map((text) => text.trim());
    const expected = navTexts.slice(0, navTexts.indexOf('Log in') + 1);
    expect(expected).toContain('Log in');

    expect(await tab(page)).toBe('Skip to content');
    // The skip link is hidden off-screen until it has focus; then it must be where one can see it.
    expect((await page.getByRole('link', { name: 'Skip to content' }).boundingBox())?.x).toBeGreaterThanOrEqual(0);
    const reached: string[] = [];
    for (const _ of expected) reached.push(await tab(page));
    expect(reached).toEqual(expected);
    await expect(navigation.getByRole('link', { name: 'Log in' })).toBeFocused();

    await toNextPage(page, () => page.keyboard.press('Enter'));
    expect(pathOf(page)).toBe('/login');
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Log in');
  });

  test('"Skip to content" moves the keyboard past the navigation', async ({ page }) => {
    await page.goto('/login');
    expect(await tab(page)).toBe('Skip to content');
    await page.keyboard.press('Enter');
    expect(new URL(page.url()).hash).toBe('#main');

    await page.keyboard.press('Tab');
    await expect(emailField(page)).toBeFocused();
  });

  test('on a product page, Tab reaches "Add to cart" and Enter adds the product', async ({ page }) => {
    const email = await signUpAndLogIn(page);
    await openProducts(page);
    await toNextPage(page, () => page.getByRole('link', { name: DEMO.notebook.title }).click());
    await expect(page.getByRole('heading', { level: 1 })).toHaveText(DEMO.notebook.title);

    const button = addToCartButton(page, DEMO.notebook.title);
    for (let presses = 0; presses < 20 && !(await isFocused(button)); presses += 1) {
      await page.keyboard.press('Tab');
    }
    await expect(button).toBeFocused();
    await expect(button).toHaveText('Add to cart');
    await toNextPage(page, () => page.keyboard.press('Enter'));

    await expect(page.getByRole('heading', { level: 1 })).toHaveText(DEMO.notebook.title);
    expect(await navCartCount(page)).toBe('1');
    await page.goto('/cart');
    await expect(navEmail(page)).toHaveText(email);
    expect(await cartRows(page)).toEqual([
      { product: DEMO.notebook.title, price: DEMO.notebook.price, quantity: '1', subtotal: DEMO.notebook.price },
    ]);
  });

  test('the login form can be filled in and submitted with the keyboard alone', async ({ page }) => {
    const email = uniqueEmail('keyboard');
    await submitSignup(page, email, PASSWORD);
    await confirmSignup(page, email);
    expect(pathOf(page)).toBe('/login');

    for (let presses = 0; presses < 15 && !(await isFocused(emailField(page))); presses += 1) {
      await page.keyboard.press('Tab');
    }
    await expect(emailField(page)).toBeFocused();
    await page.keyboard.type(email);
    await page.keyboard.press('Tab');
    await expect(passwordField(page)).toBeFocused();
    await page.keyboard.type(PASSWORD);
    await toNextPage(page, () => page.keyboard.press('Enter'));

    expect(pathOf(page)).toBe('/');
    await expect(navEmail(page)).toHaveText(email);
  });
});
