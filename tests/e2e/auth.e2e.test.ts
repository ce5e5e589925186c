import {
  PASSWORD,
  confirmField,
  emailField,
  fieldAround,
  navEmail,
  passwordField,
  pathOf,
  confirmSignup,
  signUpAndLogIn,
  submitLogin,
  submitSignup,
  toNextPage,
  uniqueEmail,
} from './support/pages';
import { DEMO } from './support/catalog';
import { checkOutAndPay } from './support/checkout';
import { addToCart, cartRows, cartTotal, navCartCount, openProducts, orders, productCards } from './support/shopping';
import { expect, test } from './support/fixtures';

test.use({ seed: true });

test.describe('signing up, logging in and out', () => {
  test('a visitor signs up, logs in, shops, checks out and pays, opens their account and logs out', async ({
    page,
  }) => {
    const email = uniqueEmail('journey');
    await page.goto('/');
    await expect(navEmail(page)).toHaveCount(0);

    await submitSignup(page, email, PASSWORD);
    expect(pathOf(page)).toBe('/login');
    await expect(page.getByRole('status')).toContainText('Check your inbox');
    await confirmSignup(page, email);
    expect(pathOf(page)).toBe('/login');
    await expect(page.getByRole('status')).toHaveText('Your email address is confirmed. You can log in now.');

    await submitLogin(page, email);
    expect(pathOf(page)).toBe('/');
    await expect(navEmail(page)).toHaveText(email);

    // Browse the shop: the newest 8 of the 12 demo products, with their prices.
    await openProducts(page);
    expect(pathOf(page)).toBe('/products');
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('All products');
    const cards = await productCards(page);
    expect(cards).toHaveLength(8);
    expect(cards).toEqual(expect.arrayContaining([DEMO.mug, DEMO.notebook]));

    // Two different products, one of them twice.
    // "Add to cart" stays on the grid, with a confirmation.
    await addToCart(page, DEMO.mug.title);
    expect(pathOf(page)).toBe('/products');
    await expect(page.getByRole('status')).toHaveText(`Added “${DEMO.mug.title}” to your cart.`);
    await addToCart(page, DEMO.notebook.title);
    await addToCart(page, DEMO.mug.title);
    await page.goto('/cart');
    expect(await cartRows(page)).toEqual([
      { product: DEMO.mug.title, price: '$18.00', quantity: '2', subtotal: '$36.00' },
      { product: DEMO.notebook.title, price: '$14.50', quantity: '1', subtotal: '$14.50' },
    ]);
    expect(await cartTotal(page)).toBe('$50.50');
    expect(await navCartCount(page)).toBe('3');

    // A change of mind: the notebook goes.
    await toNextPage(page, () => page.getByRole('button', { name: `Remove ${DEMO.notebook.title}` }).click());
    expect(pathOf(page)).toBe('/cart');
    await expect(page.getByRole('status')).toHaveText('Removed the item from your cart.');
    expect(await cartRows(page)).toEqual([
      { product: DEMO.mug.title, price: '$18.00', quantity: '2', subtotal: '$36.00' },
    ]);
    expect(await cartTotal(page)).toBe('$36.00');

    // Checked out with standard shipping ($4.95) and paid at Test Pay.
    await checkOutAndPay(page);
    expect(await navCartCount(page)).toBeNull();
    await toNextPage(page, () => page.getByRole('link', { name: 'Back to the orders' }).click());
    expect(pathOf(page)).toBe('/orders');
    expect(await orders(page)).toEqual([
      {
        rows: [{ product: DEMO.mug.title, price: '$18.00', quantity: '2', subtotal: '$36.00' }],
        total: '$40.95',
      },
    ]);

    await toNextPage(page, () => page.getByRole('link', { name: 'Account', exact: true }).click());
    expect(pathOf(page)).toBe('/account');
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Your account');
    await expect(page.getByTestId('account-email')).toHaveText(email);

    await toNextPage(page, () => page.getByRole('button', { name: 'Log out' }).click());
    expect(pathOf(page)).toBe('/');
    await expect(navEmail(page)).toHaveCount(0);
    await expect(page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Log in' })).toBeVisible();

    await page.goto('/orders');
    expect(pathOf(page)).toBe('/login');
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Log in');

    // Logging in again returns the visitor to the page they were sent away from
    // since the order, which is still on /orders.
    await emailField(page).fill(email);
    await passwordField(page).fill(PASSWORD);
    await toNextPage(page, () => page.getByRole('button', { name: 'Log in' }).click());
    expect(pathOf(page)).toBe('/orders');
    await page.goto('/cart');
    await expect(page.getByText('Your cart is empty.')).toBeVisible();
    await page.goto('/orders');
    expect((await orders(page)).map((order) => order.total)).toEqual(['$40.95']);
  });
});

test.describe('forms that are refused', () => {
  test('a wrong password shows one message and keeps the entered email', async ({ page }) => {
    const email = await signUpAndLogIn(page);
    await toNextPage(page, () => page.getByRole('button', { name: 'Log out' }).click());

    await submitLogin(page, email, 'not the right password');

    expect(pathOf(page)).toBe('/login');
    await expect(page.getByRole('alert')).toHaveText('Invalid email or password.');
    await expect(emailField(page)).toHaveValue(email);
    await expect(passwordField(page)).toHaveValue('');
    await expect(navEmail(page)).toHaveCount(0);
  });

  test('an invalid signup shows each message next to its field and keeps the email', async ({ page }) => {
    await submitSignup(page, 'not-an-email', 'short', 'shorter');

    expect(pathOf(page)).toBe('/signup');
    await expect(fieldAround(page, emailField(page))).toContainText('Enter a valid email address.');
    await expect(fieldAround(page, passwordField(page))).toContainText('Use at least 15 characters.');
    await expect(fieldAround(page, confirmField(page))).toContainText('The passwords do not match.');
    for (const field of [emailField(page), passwordField(page), confirmField(page)]) {
      await expect(field).toHaveAttribute('aria-invalid', 'true');
    }
    await expect(emailField(page)).toHaveValue('not-an-email');
    await expect(passwordField(page)).toHaveValue('');
  });

  test('a mismatched confirmation is the only error shown, and the email stays', async ({ page }) => {
    const email = uniqueEmail('mismatch');
    await submitSignup(page, email, PASSWORD, `${PASSWORD} but different`);

    expect(pathOf(page)).toBe('/signup');
    await expect(fieldAround(page, confirmField(page))).toContainText('The passwords do not match.');
    await expect(emailField(page)).not.toHaveAttribute('aria-invalid');
    await expect(passwordField(page)).not.toHaveAttribute('aria-invalid');
    await expect(emailField(page)).toHaveValue(email);
  });
});
