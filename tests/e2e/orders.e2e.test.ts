import { DEMO_ADMIN, DEMO_USER } from '../../src/seed/demoData';
import { pathOf, submitLogin, toNextPage } from './support/pages';
import { DEMO } from './support/catalog';
import { addToCart, flashes, openCart, openProducts } from './support/shopping';
import { expect, test } from './support/fixtures';

test.use({ seed: true });

test.describe("an order's life", () => {
  test('a customer orders, an admin marks it shipped in /admin/orders, the customer sees it shipped', async ({
    page,
    newContext,
  }) => {
    // The customer (the demo account) buys a mug the shop has in stock.
    await submitLogin(page, DEMO_USER.email, DEMO_USER.password);
    await openProducts(page);
    const mugCard = page.locator('.product-grid > li', { hasText: DEMO.mug.title });
    await expect(mugCard.getByTestId('stock-label')).toHaveText('In stock');
    await addToCart(page, DEMO.mug.title);
    await openCart(page);
    await toNextPage(page, () => page.getByRole('button', { name: 'Place order' }).click());
    expect(pathOf(page)).toBe('/orders');
    expect(await flashes(page)).toEqual(['Thank you! Your order is placed.']);

    const orderLink = page.getByTestId('order').first().getByRole('link');
    const number = (await orderLink.locator('.order-id').innerText()).trim();
    await toNextPage(page, () => orderLink.click());
    const orderPath = pathOf(page);
    expect(orderPath).toMatch(/^\/orders\/[0-9a-f]{24}$/);
    await expect(page.getByTestId('order-status')).toHaveText('placed');
    await expect(page.getByRole('button', { name: 'Cancel this order' })).toBeVisible();

    // The admin, on another device, ships it from the list of orders.
    const admin = await (await newContext()).newPage();
    await submitLogin(admin, DEMO_ADMIN.email, DEMO_ADMIN.password);
    await admin.goto('/admin/orders');
    const row = admin.getByTestId('admin-order').filter({ hasText: number });
    await expect(row.locator('.status')).toHaveText('placed');
    await toNextPage(admin, () => row.getByRole('button', { name: `Mark ${number} shipped` }).click());
    expect(pathOf(admin)).toBe('/admin/orders');
    expect(await flashes(admin)).toEqual([`Order ${number} is now shipped.`]);
    await expect(admin.getByTestId('admin-order').filter({ hasText: number }).locator('.status')).toHaveText('shipped');

    // The customer's page says so; they can no longer cancel it.
    await page.reload();
    expect(pathOf(page)).toBe(orderPath);
    await expect(page.getByTestId('order-status')).toHaveText('shipped');
    await expect(page.getByRole('button', { name: /Cancel/ })).toHaveCount(0);
  });
});
