import type { Page } from '@playwright/test';
import { DEMO_ADMIN } from '../../src/seed/demoData';
import { DEMO } from './support/catalog';
import { checkOutAndPay } from './support/checkout';
import { signUpAndLogIn, submitLogin, toNextPage, uniqueEmail } from './support/pages';
import { addToCart, openProducts } from './support/shopping';
import { expect, test } from './support/fixtures';

test.use({ seed: true });

/** Two phones and a laptop: every page is checked at each width. */
const WIDTHS = [360, 390, 1280];

/** Elements allowed to break anywhere: long emails and ids (`.wrap`), and text no one sees. */
const MAY_BREAK = '.wrap, .visually-hidden';

/**
 * The words of the page drawn across two lines (evaluated in the page: the tests are typed without
 * the DOM). A word is a run of non-space characters, cut at each hyphen between letters, where a line
 * may end as in any text ("Sign-|ins", but not "2026-|11-29"); a word whose boxes sit at more than
 * one height was broken inside, as `overflow-wrap: anywhere` does.
 */
const BROKEN_WORDS = `(() => {
  const broken = new Set();
  const range = document.createRange();
  const texts = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = texts.nextNode(); node; node = texts.nextNode()) {
    if (node.parentElement?.closest(${JSON.stringify(MAY_BREAK)})) continue;
    for (const { 0: word, index } of node.textContent.matchAll(/\\S+/g)) {
      let start = index;
      for (const part of word.split(/(?<=\\p{L}-)(?=\\p{L})/u)) {
        range.setStart(node, start);
        range.setEnd(node, start + part.length);
        const lines = new Set(Array.from(range.getClientRects(), (box) => Math.round(box.top)));
        if (lines.size > 1) broken.add(part);
        start += part.length;
      }
    }
  }
  return [...broken];
})()`;

/**
 * Opens each path and, at each width, collects what is wrong: a page wider than the window
 * (scrolling sideways) and words broken across lines.
 */
async function layoutProblems(page: Page, paths: string[]): Promise<string[]> {
  const problems: string[] = [];
  for (const path of paths) {
    const response = await page.goto(path);
    // The 404 page is a page too.
    expect(response?.status(), path).toBeLessThan(500);
    for (const width of WIDTHS) {
      await page.setViewportSize({ width, height: 740 });
      const excess = await page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');
      if (excess > 0) problems.push(`${path} at ${width} px: ${excess} px too wide`);
      for (const word of await page.evaluate<string[]>(BROKEN_WORDS)) {
        problems.push(`${path} at ${width} px: “${word}” broken across lines`);
      }
    }
  }
  return problems;
}

test.describe(`at ${WIDTHS.join(', ')} px no page scrolls sideways or breaks a word`, () => {
  test('for a guest', async ({ page }) => {
    await page.goto('/products');
    await addToCart(page, DEMO.mug.title);
    const product = (await page.getByRole('link', { name: DEMO.mug.title }).first().getAttribute('href')) ?? '';
    expect(
      await layoutProblems(page, [
        '/',
        '/products',
        '/products?q=mug',
        product,
        '/cart',
        '/login',
        '/signup',
        '/reset',
        '/no-such-page',
      ]),
    ).toEqual([]);
  });

  test('for a customer with a long email, a full cart and an order', async ({ page }) => {
    await signUpAndLogIn(page, uniqueEmail('a-rather-long-customer-name-for-layout'));
    for (const title of [DEMO.mug.title, DEMO.notebook.title, DEMO.candle.title]) {
      await openProducts(page);
      await addToCart(page, title);
    }
    expect(await layoutProblems(page, ['/products', '/cart', '/checkout', '/account', '/account/activity'])).toEqual(
      [],
    );
    const order = await checkOutAndPay(page);
    expect(await layoutProblems(page, ['/orders', order])).toEqual([]);
  });

  test('for an admin, with an order to handle', async ({ page }) => {
    await submitLogin(page, DEMO_ADMIN.email, DEMO_ADMIN.password);
    await openProducts(page);
    await addToCart(page, DEMO.board.title);
    const order = await checkOutAndPay(page);
    await page.goto('/admin/products');
    const edit = await page.getByRole('link', { name: /edit/i }).first().getAttribute('href');
    expect(
      await layoutProblems(page, [
        '/admin/products',
        '/admin/add-product',
        '/admin/orders',
        order,
        ...(edit ? [edit] : []),
      ]),
    ).toEqual([]);
  });
});

test('on a phone the products come two to a row', async ({ page }) => {
  await page.setViewportSize({ width: 360, height: 740 });
  await page.goto('/products');
  const tops = await page.locator('.product-card').evaluateAll((cards) => cards.map((card) => card.offsetTop));
  expect(tops).toHaveLength(8);
  expect(new Set(tops).size).toBe(4);
});

/** How many rows the header's items (brand, links, account controls) take, and whether any two overlap. */
async function headerLayout(page: Page): Promise<{ rows: number; overlap: boolean }> {
  const boxes = await page
    .locator('.site-header')
    .locator('.brand, .nav-links li, .nav-user > *')
    .evaluateAll((items) =>
      items.map((item) => {
        const { left, right, top, bottom } = item.getBoundingClientRect();
        return { left, right, top, bottom };
      }),
    );
  // A row starts where the items above it end.
  let rows = 0;
  let bottom = -Infinity;
  for (const box of [...boxes].sort((a, b) => a.top - b.top)) {
    if (box.top >= bottom) rows += 1;
    bottom = Math.max(bottom, box.bottom);
  }
  const overlap = boxes.some((a, i) =>
    boxes.some((b, j) => i < j && a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom),
  );
  return { rows, overlap };
}

test('on a phone the header takes at most two rows, for a guest, a customer and an admin', async ({ page }) => {
  await page.setViewportSize({ width: 360, height: 740 });
  await page.goto('/login');
  expect(await headerLayout(page), 'a guest').toEqual({ rows: 2, overlap: false });

  await signUpAndLogIn(page, uniqueEmail('a-rather-long-customer-name-for-layout'));
  await page.goto('/account');
  expect(await headerLayout(page), 'a customer').toEqual({ rows: 2, overlap: false });

  await toNextPage(page, () => page.getByRole('button', { name: 'Log out' }).click());
  await submitLogin(page, DEMO_ADMIN.email, DEMO_ADMIN.password);
  await openProducts(page);
  await addToCart(page, DEMO.mug.title);
  await page.goto('/admin/orders');
  expect(await headerLayout(page), 'an admin with a cart').toEqual({ rows: 2, overlap: false });
});
