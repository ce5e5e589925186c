import type { Locator, Page } from '@playwright/test';
import { toNextPage } from './pages';

/** The "Add to cart" button of one product, on a grid or on its detail page (named for the product). */
export const addToCartButton = (page: Page, title: string): Locator =>
  page.getByRole('button', { name: `Add to cart: ${title}`, exact: true });

/** Presses "Add to cart" for the product and waits for the page it leads to (the page it was on again). */
export async function addToCart(page: Page, title: string): Promise<void> {
  await toNextPage(page, () => addToCartButton(page, title).click());
}

/** Opens /products through the navigation, as a person would. */
export async function openProducts(page: Page): Promise<void> {
  await toNextPage(page, () =>
    page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Products' }).click(),
  );
}

/** The product cards of a grid, each as the title and price it shows. */
export async function productCards(page: Page): Promise<{ title: string; price: string }[]> {
  const cards = page.locator('.product-grid > li');
  const result: { title: string; price: string }[] = [];
  for (const card of await cards.all()) {
    result.push({
      title: (await card.getByRole('heading').innerText()).trim(),
      price: (await card.locator('.product-price').innerText()).trim(),
    });
  }
  return result;
}

export interface TableRow {
  product: string;
  price: string;
  quantity: string;
  subtotal: string;
}

/** The body rows of a cart, checkout or order table, as the cells read. */
export async function rowsOf(table: Locator): Promise<TableRow[]> {
  const rows: TableRow[] = [];
  for (const row of await table.locator('tbody tr').all()) {
    const [product = '', price = '', quantity = '', subtotal = ''] = (await row.getByRole('cell').allInnerTexts()).map(
      (text) => text.trim(),
    );
    // A cart line's quantity sits between its − and + buttons.
    const count = row.getByTestId('cart-quantity');
    rows.push({
      product,
      price,
      quantity: (await count.count()) ? (await count.innerText()).trim() : quantity,
      subtotal,
    });
  }
  return rows;
}

/** The lines of the cart on /cart, as the table shows them. */
export const cartRows = (page: Page): Promise<TableRow[]> => rowsOf(page.locator('table.cart-table'));

/** The total under the cart table. */
export const cartTotal = async (page: Page): Promise<string> =>
  (await page.getByTestId('cart-total').innerText()).trim();

/** The orders on /orders, newest first: their lines and total. */
export async function orders(page: Page): Promise<{ rows: TableRow[]; total: string }[]> {
  const result: { rows: TableRow[]; total: string }[] = [];
  for (const order of await page.getByTestId('order').all()) {
    result.push({
      rows: await rowsOf(order.getByRole('table')),
      total: (await order.getByTestId('order-total').innerText()).trim(),
    });
  }
  return result;
}

/** Opens the cart through the navigation's "Cart" link (named with its count, if any). */
export async function openCart(page: Page): Promise<void> {
  await toNextPage(page, () =>
    page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: /^Cart/ }).click(),
  );
}

/** Presses a cart line's − or + button ("One less …", "One more …") and waits for the cart again. */
export async function changeQuantity(page: Page, title: string, change: 'One less' | 'One more'): Promise<void> {
  await toNextPage(page, () => page.getByRole('button', { name: `${change} ${title}`, exact: true }).click());
}

/** The number the navigation shows next to "Cart", or null when it shows none. */
export async function navCartCount(page: Page): Promise<string | null> {
  const badge = page.getByTestId('cart-count');
  if ((await badge.count()) === 0) return null;
  return (await badge.innerText()).replace(/\D/g, '');
}

/** The texts of the flash messages (role status or alert) at the top of the page. */
export const flashes = async (page: Page): Promise<string[]> =>
  (await page.locator('.flash').allInnerTexts()).map((text) => text.trim());
