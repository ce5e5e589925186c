import { DEMO_ADMIN, DEMO_USER } from '../../src/seed/demoData';
import { pathOf, signUpAndLogIn, submitLogin, toNextPage } from './support/pages';
import { DEMO } from './support/catalog';
import {
  CARDS,
  CHECKOUT_ADDRESS,
  checkOutAndPay,
  checkoutRows,
  continueToPayment,
  expectOrderStatus,
  payWithCard,
} from './support/checkout';
import { addToCart, cartRows, flashes, navCartCount, openCart, openProducts } from './support/shopping';
import { expect, test } from './support/fixtures';

test.use({ seed: true });

test.describe('paying for an order at Test Pay', () => {
  test('a customer checks out with an address and pays; the order is paid; an admin ships it and the customer sees it shipped', async ({
    page,
    newContext,
  }) => {
    // The customer (the demo account) buys a mug the shop has in stock, sent express.
    await submitLogin(page, DEMO_USER.email, DEMO_USER.password);
    await openProducts(page);
    const mugCard = page.locator('.product-grid > li', { hasText: DEMO.mug.title });
    await expect(mugCard.getByTestId('stock-label')).toHaveText('In stock');
    await addToCart(page, DEMO.mug.title);
    await openCart(page);
    await toNextPage(page, () => page.getByRole('link', { name: 'Check out', exact: true }).click());
    expect(pathOf(page)).toBe('/checkout');
    expect(await checkoutRows(page)).toEqual([
      { product: DEMO.mug.title, price: '$18.00', quantity: '1', subtotal: '$18.00' },
    ]);
    await expect(page.getByTestId('total-express')).toHaveText('$32.95');

    // Test Pay's page asks for the total with express shipping.
    await continueToPayment(page, { shipping: 'Express' });
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Pay $32.95');
    await payWithCard(page, CARDS.success);
    const orderPath = pathOf(page);
    expect(orderPath).toMatch(/^\/orders\/[0-9a-f]{24}$/);
    await expectOrderStatus(page, 'paid');
    await expect(page.getByTestId('payment-news')).toHaveText(/^Paid: thank you!/);
    await expect(page.getByTestId('order-address')).toContainText(CHECKOUT_ADDRESS.line1);
    await expect(page.getByTestId('order-total')).toHaveText('$32.95');
    await expect(page.getByRole('button', { name: 'Cancel this order' })).toBeVisible();
    expect(await navCartCount(page)).toBeNull();
    const number = (await page.getByRole('heading', { level: 1 }).innerText()).replace('Order ', '').trim();

    // The admin, on another device, finds it paid and ships it from the list of orders.
    const admin = await (await newContext()).newPage();
    await submitLogin(admin, DEMO_ADMIN.email, DEMO_ADMIN.password);
    await admin.goto('/admin/orders');
    const row = admin.getByTestId('admin-order').filter({ hasText: number });
    await expect(row.locator('.status')).toHaveText('paid');
    // "paid", its payment's id under it.
    await expect(row.getByTestId('payment-state')).toHaveText(/^paid(pay_[\w-]+)?$/);
    await toNextPage(admin, () => row.getByRole('button', { name: `Mark ${number} shipped` }).click());
    expect(pathOf(admin)).toBe('/admin/orders');
    expect(await flashes(admin)).toEqual([`Order ${number} is now shipped.`]);
    await expect(row.locator('.status')).toHaveText('shipped');

    // The customer's page says so; they can no longer cancel it.
    await page.reload();
    expect(pathOf(page)).toBe(orderPath);
    await expectOrderStatus(page, 'shipped');
    await expect(page.getByRole('button', { name: /Cancel/ })).toHaveCount(0);
  });

  test('a declined card: the order is "payment failed" and the items are back in the cart', async ({ page }) => {
    await signUpAndLogIn(page);
    await openProducts(page);
    await addToCart(page, DEMO.mug.title);
    await addToCart(page, DEMO.notebook.title);

    const orderPath = await checkOutAndPay(page, { card: CARDS.declined });
    await expectOrderStatus(page, 'payment failed');
    await expect(page.getByTestId('payment-news')).toContainText(
      'Your payment did not go through; your items are back in the cart. Your card was declined.',
    );

    await toNextPage(page, () => page.getByRole('link', { name: 'Go to your cart' }).click());
    expect(pathOf(page)).toBe('/cart');
    expect(await cartRows(page)).toEqual([
      { product: DEMO.mug.title, price: '$18.00', quantity: '1', subtotal: '$18.00' },
      { product: DEMO.notebook.title, price: '$14.50', quantity: '1', subtotal: '$14.50' },
    ]);
    expect(await navCartCount(page)).toBe('2');
    // The order stays in the list, failed.
    await page.goto('/orders');
    const order = page.getByTestId('order').filter({ has: page.locator(`a[href="${orderPath}"]`) });
    await expect(order.getByTestId('order-status')).toHaveText('payment failed');
  });
});
