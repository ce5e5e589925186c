import type { Page } from '@playwright/test';
import { DEMO_ADMIN } from '../../src/seed/demoData';
import { DEMO } from './support/catalog';
import { signUpAndLogIn, submitLogin, toNextPage, uniqueEmail } from './support/pages';
import { addToCart, openProducts } from './support/shopping';
import { expect, test } from './support/fixtures';

test.use({ seed: true, viewport: { width: 360, height: 740 } });

/** How far the page is wider than the window (0 when nothing scrolls sideways). */
const overflow = (page: Page): Promise<number> =>
  page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');

/** Opens each path and collects those that scroll sideways, with by how much. */
async function overflowing(page: Page, paths: string[]): Promise<string[]> {
  const wide: string[] = [];
  for (const path of paths) {
    const response = await page.goto(path);
    // The 404 page is a page too.
    expect(response?.status(), path).toBeLessThan(500);
    const excess = await overflow(page);
    if (excess > 0) wide.push(`${path}: ${excess} px too wide`);
  }
  return wide;
}

test.describe('at 360 × 740 no page scrolls sideways', () => {
  test('for a guest', async ({ page }) => {
    await page.goto('/products');
    await addToCart(page, DEMO.mug.title);
    const product = (await page.getByRole('link', { name: DEMO.mug.title }).first().getAttribute('href')) ?? '';
    expect(
      await overflowing(page, [
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
    expect(await overflowing(page, ['/cart', '/account'])).toEqual([]);
    await page.goto('/cart');
    await toNextPage(page, () => page.getByRole('button', { name: 'Place order' }).click());
    const order = await page.getByTestId('order').getByRole('link').first().getAttribute('href');
    expect(order).toMatch(/^\/orders\/\w+$/);
    expect(await overflowing(page, ['/orders', order!])).toEqual([]);
  });

  test('for an admin', async ({ page }) => {
    await submitLogin(page, DEMO_ADMIN.email, DEMO_ADMIN.password);
    await page.goto('/admin/products');
    const edit = await page.getByRole('link', { name: /edit/i }).first().getAttribute('href');
    expect(
      await overflowing(page, ['/admin/products', '/admin/add-product', '/admin/orders', ...(edit ? [edit] : [])]),
    ).toEqual([]);
  });
});
