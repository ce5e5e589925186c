import {
  PASSWORD,
  emailField,
  navEmail,
  passwordField,
  pathOf,
  confirmSignup,
  signUpAndLogIn,
  submitSignup,
  toNextPage,
  uniqueEmail,
} from './support/pages';
import { DEMO } from './support/catalog';
import { checkoutRows } from './support/checkout';
import { addToCart, cartRows, changeQuantity, flashes, navCartCount, openCart, openProducts } from './support/shopping';
import { expect, test } from './support/fixtures';

test.use({ seed: true });

test.describe('a guest cart', () => {
  test('a guest fills a cart without leaving the page, sees it, changes quantities, logs in to check out and finds it', async ({
    page,
    context,
  }) => {
    await page.goto('/products');
    await expect(navEmail(page)).toHaveCount(0);
    // Browsing sets no cookie; the add-to-cart forms work without one (the browser sends Sec-Fetch-Site).
    expect(await context.cookies()).toEqual([]);

    await addToCart(page, DEMO.mug.title);
    expect(pathOf(page)).toBe('/products');
    expect(await flashes(page)).toEqual([`Added “${DEMO.mug.title}” to your cart.`]);
    expect(await navCartCount(page)).toBe('1');
    await addToCart(page, DEMO.mug.title);
    expect(await navCartCount(page)).toBe('2');

    // The second product from its own page, which it stays on.
    await toNextPage(page, () => page.getByRole('link', { name: DEMO.notebook.title }).click());
    const productPath = pathOf(page);
    await addToCart(page, DEMO.notebook.title);
    expect(pathOf(page)).toBe(productPath);
    await expect(page.getByRole('heading', { level: 1 })).toHaveText(DEMO.notebook.title);
    expect(await flashes(page)).toEqual([`Added “${DEMO.notebook.title}” to your cart.`]);
    expect(await navCartCount(page)).toBe('3');

    await openCart(page);
    expect(pathOf(page)).toBe('/cart');
    expect(await cartRows(page)).toEqual([
      { product: DEMO.mug.title, price: '$18.00', quantity: '2', subtotal: '$36.00' },
      { product: DEMO.notebook.title, price: '$14.50', quantity: '1', subtotal: '$14.50' },
    ]);
    await changeQuantity(page, DEMO.notebook.title, 'One more');
    await changeQuantity(page, DEMO.mug.title, 'One less');
    await changeQuantity(page, DEMO.mug.title, 'One less');
    expect(await cartRows(page)).toEqual([
      { product: DEMO.notebook.title, price: '$14.50', quantity: '2', subtotal: '$29.00' },
    ]);
    expect(await navCartCount(page)).toBe('2');
    await expect(page.getByRole('link', { name: 'Check out', exact: true })).toHaveCount(0);

    // No account yet: "Log in to check out", then sign up from the login page, then log in.
    await toNextPage(page, () => page.getByRole('link', { name: 'Log in to check out' }).click());
    expect(pathOf(page)).toBe('/login');
    await toNextPage(page, () => page.locator('#main').getByRole('link', { name: 'Create an account' }).click());
    const email = uniqueEmail('guest');
    await submitSignup(page, email, PASSWORD);
    expect(pathOf(page)).toBe('/login');
    await confirmSignup(page, email);
    expect(pathOf(page)).toBe('/login');
    await emailField(page).fill(email);
    await passwordField(page).fill(PASSWORD);
    await toNextPage(page, () => page.getByRole('button', { name: 'Log in' }).click());

    // Back at the checkout, with the cart.
    expect(pathOf(page)).toBe('/checkout');
    await expect(navEmail(page)).toHaveText(email);
    expect(await checkoutRows(page)).toEqual([
      { product: DEMO.notebook.title, price: '$14.50', quantity: '2', subtotal: '$29.00' },
    ]);
    await expect(page.getByTestId('checkout-subtotal')).toHaveText('$29.00');
    await expect(page.getByRole('button', { name: 'Continue to payment' })).toBeVisible();
  });

  test('a guest cart adds up with what the account already holds, once', async ({ page }) => {
    const email = await signUpAndLogIn(page);
    await openProducts(page);
    await addToCart(page, DEMO.candle.title);
    await toNextPage(page, () => page.getByRole('button', { name: 'Log out' }).click());
    expect(await navCartCount(page)).toBeNull();

    await openProducts(page);
    await addToCart(page, DEMO.candle.title);
    await openProducts(page);
    await addToCart(page, DEMO.mug.title);
    expect(await navCartCount(page)).toBe('2');
    await openCart(page);
    await toNextPage(page, () => page.getByRole('link', { name: 'Log in to check out' }).click());
    await emailField(page).fill(email);
    await passwordField(page).fill(PASSWORD);
    await toNextPage(page, () => page.getByRole('button', { name: 'Log in' }).click());

    const merged = [
      { product: DEMO.candle.title, price: '$16.50', quantity: '2', subtotal: '$33.00' },
      { product: DEMO.mug.title, price: '$18.00', quantity: '1', subtotal: '$18.00' },
    ];
    expect(pathOf(page)).toBe('/checkout');
    expect(await checkoutRows(page)).toEqual(merged);
    await expect(page.getByTestId('checkout-subtotal')).toHaveText('$51.00');

    // The guest cart was used up by the merge: logging in again adds nothing.
    await toNextPage(page, () => page.getByRole('button', { name: 'Log out' }).click());
    await page.goto('/checkout');
    await emailField(page).fill(email);
    await passwordField(page).fill(PASSWORD);
    await toNextPage(page, () => page.getByRole('button', { name: 'Log in' }).click());
    expect(pathOf(page)).toBe('/checkout');
    expect(await checkoutRows(page)).toEqual(merged);
  });
});
