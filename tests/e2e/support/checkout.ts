import { expect, type Page } from '@playwright/test';
import { CARDS, CHECKOUT_ADDRESS } from '../../../support/shopFlows';
import { pathOf, toNextPage } from './pages';
import { rowsOf, type TableRow } from './shopping';

export { CARDS, CHECKOUT_ADDRESS };

export type DeliveryAddress = Record<keyof typeof CHECKOUT_ADDRESS, string>;

/** The delivery form's fields, by the labels a person reads (views/shop/checkout.ejs). */
const ADDRESS_LABELS: DeliveryAddress = {
  name: 'Full name',
  line1: 'Address',
  line2: 'Address line 2 (optional)',
  city: 'Town or city',
  postcode: 'Postcode',
  country: 'Country',
};

/** The lines of the cart on /checkout, as its "Your order" table shows them. */
export const checkoutRows = (page: Page): Promise<TableRow[]> =>
  rowsOf(page.getByRole('region', { name: 'Your order' }).getByRole('table'));

/** On /checkout: types the delivery address, picks the shipping and continues; ends on Test Pay's page. */
export async function continueToPayment(
  page: Page,
  {
    address = CHECKOUT_ADDRESS,
    shipping = 'Standard',
  }: { address?: DeliveryAddress; shipping?: 'Standard' | 'Express' } = {},
): Promise<void> {
  for (const [field, label] of Object.entries(ADDRESS_LABELS) as [keyof DeliveryAddress, string][]) {
    await page.getByLabel(label, { exact: true }).fill(address[field]);
  }
  // Named with their price: "Standard, $4.95".
  await page.getByRole('radio', { name: new RegExp(`^${shipping},`) }).check();
  await toNextPage(page, () => page.getByRole('button', { name: 'Continue to payment' }).click());
  if (!pathOf(page).startsWith('/test-pay/')) throw new Error(`the checkout ended on ${page.url()}, not on Test Pay`);
}

/**
 * On Test Pay's page (src/testPay/page.ts): types the card, an expiry date to come and a CVC, and
 * pays; ends on the page Test Pay sends the customer back to, the order's.
 */
export async function payWithCard(page: Page, card: string): Promise<void> {
  await page.getByLabel('Card number', { exact: true }).fill(card);
  await page.getByLabel('Expiry date', { exact: true }).fill('12/39');
  await page.getByLabel('Security code (CVC)', { exact: true }).fill('123');
  await toNextPage(page, () => page.getByRole('button', { name: /^Pay / }).click());
}

/**
 * Waits for the order's page to show `status`. Test Pay's webhook usually lands before it sends the
 * customer back; when its first send fails, the page shows "awaiting payment" and reloads itself
 * every 5 s (its Refresh header) until the retry (about a second later) has gone in.
 */
export async function expectOrderStatus(page: Page, status: string): Promise<void> {
  await expect(page.getByTestId('order-status')).toHaveText(status, { timeout: 15_000 });
}

/**
 * From a cart with items in it: "Check out", the delivery form with `address`, then Test Pay's
 * page with `card` (the success card unless said). Ends on the order's page, once it says "paid"
 * when the card was the success card; returns its path.
 */
export async function checkOutAndPay(
  page: Page,
  { card = CARDS.success, ...delivery }: { card?: string } & Parameters<typeof continueToPayment>[1] = {},
): Promise<string> {
  await page.goto('/cart');
  await toNextPage(page, () => page.getByRole('link', { name: 'Check out', exact: true }).click());
  await continueToPayment(page, delivery);
  await payWithCard(page, card);
  const orderPath = pathOf(page);
  if (!/^\/orders\/[0-9a-f]{24}$/.test(orderPath))
    throw new Error(`the payment ended on ${page.url()}, not on an order`);
  if (card === CARDS.success) await expectOrderStatus(page, 'paid');
  return orderPath;
}
