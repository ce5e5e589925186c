import {
  PASSWORD,
  confirmField,
  emailField,
  fieldAround,
  navEmail,
  passwordField,
  pathOf,
  signUpAndLogIn,
  submitLogin,
  submitSignup,
  toNextPage,
  uniqueEmail,
} from './support/pages';
import { DEMO } from './support/catalog';
import { addToCart, cartRows, cartTotal, navCartCount, openProducts, orders, productCards } from './support/shopping';
import { useShop } from './support/shop';

const { browserTest } = useShop({ seed: true });

describe('signing up, logging in and out', () => {
  browserTest(
    'a visitor signs up, logs in, shops, places an order, opens their account and logs out',
    async ({ page }) => {
      const email = uniqueEmail('journey');
      await page.goto('/');
      expect(await navEmail(page).count()).toBe(0);

      await submitSignup(page, email, PASSWORD);
      expect(pathOf(page)).toBe('/login');
      expect(await page.getByRole('status').innerText()).toBe('Your account is ready. Please log in.');

      await submitLogin(page, email);
      expect(pathOf(page)).toBe('/');
      expect(await navEmail(page).innerText()).toBe(email);

      // Browse the shop: the newest 8 of the 12 demo products, with their prices.
      await openProducts(page);
      expect(pathOf(page)).toBe('/products');
      expect(await page.getByRole('heading', { level: 1 }).innerText()).toBe('All products');
      const cards = await productCards(page);
      expect(cards).toHaveLength(8);
      expect(cards).toEqual(expect.arrayContaining([DEMO.mug, DEMO.notebook]));

      // Two different products, one of them twice.
      await addToCart(page, DEMO.mug.title);
      expect(pathOf(page)).toBe('/cart');
      expect(await page.getByRole('status').innerText()).toBe(`Added “${DEMO.mug.title}” to your cart.`);
      await openProducts(page);
      await addToCart(page, DEMO.notebook.title);
      await openProducts(page);
      await addToCart(page, DEMO.mug.title);
      expect(pathOf(page)).toBe('/cart');
      expect(await cartRows(page)).toEqual([
        { product: DEMO.mug.title, price: '$18.00', quantity: '2', subtotal: '$36.00' },
        { product: DEMO.notebook.title, price: '$14.50', quantity: '1', subtotal: '$14.50' },
      ]);
      expect(await cartTotal(page)).toBe('$50.50');
      expect(await navCartCount(page)).toBe('3');

      // A change of mind: the notebook goes.
      await toNextPage(page, () => page.getByRole('button', { name: `Remove ${DEMO.notebook.title}` }).click());
      expect(pathOf(page)).toBe('/cart');
      expect(await page.getByRole('status').innerText()).toBe('Removed the item from your cart.');
      expect(await cartRows(page)).toEqual([
        { product: DEMO.mug.title, price: '$18.00', quantity: '2', subtotal: '$36.00' },
      ]);
      expect(await cartTotal(page)).toBe('$36.00');

      await toNextPage(page, () => page.getByRole('button', { name: 'Place order' }).click());
      expect(pathOf(page)).toBe('/orders');
      expect(await page.getByRole('status').innerText()).toBe('Thank you! Your order is placed.');
      expect(await orders(page)).toEqual([
        {
          rows: [{ product: DEMO.mug.title, price: '$18.00', quantity: '2', subtotal: '$36.00' }],
          total: '$36.00',
        },
      ]);
      expect(await navCartCount(page)).toBeNull();

      await toNextPage(page, () => page.getByRole('link', { name: 'Account' }).click());
      expect(pathOf(page)).toBe('/account');
      expect(await page.getByRole('heading', { level: 1 }).innerText()).toBe('Your account');
      expect(await page.getByTestId('account-email').innerText()).toBe(email);

      await toNextPage(page, () => page.getByRole('button', { name: 'Log out' }).click());
      expect(pathOf(page)).toBe('/');
      expect(await navEmail(page).count()).toBe(0);
      expect(await page.getByRole('navigation').getByRole('link', { name: 'Log in' }).isVisible()).toBe(true);

      await page.goto('/cart');
      expect(pathOf(page)).toBe('/login');
      expect(await page.getByRole('heading', { level: 1 }).innerText()).toBe('Log in');

      // Logging in again returns the visitor to the page they were sent away from: the cart, empty
      // since the order, which is still on /orders.
      await emailField(page).fill(email);
      await passwordField(page).fill(PASSWORD);
      await toNextPage(page, () => page.getByRole('button', { name: 'Log in' }).click());
      expect(pathOf(page)).toBe('/cart');
      expect(await page.getByText('Your cart is empty.').isVisible()).toBe(true);
      await page.goto('/orders');
      expect((await orders(page)).map((order) => order.total)).toEqual(['$36.00']);
    },
  );
});

describe('forms that are refused', () => {
  browserTest('a wrong password shows one message and keeps the entered email', async ({ page }) => {
    const email = await signUpAndLogIn(page);
    await toNextPage(page, () => page.getByRole('button', { name: 'Log out' }).click());

    await submitLogin(page, email, 'not the right password');

    expect(pathOf(page)).toBe('/login');
    expect(await page.getByRole('alert').innerText()).toBe('Invalid email or password.');
    expect(await emailField(page).inputValue()).toBe(email);
    expect(await passwordField(page).inputValue()).toBe('');
    expect(await navEmail(page).count()).toBe(0);
  });

  browserTest('an invalid signup shows each message next to its field and keeps the email', async ({ page }) => {
    await submitSignup(page, 'not-an-email', 'short', 'shorter');

    expect(pathOf(page)).toBe('/signup');
    expect(await fieldAround(page, emailField(page)).innerText()).toContain('Enter a valid email address.');
    expect(await fieldAround(page, passwordField(page)).innerText()).toContain('Use at least 12 characters.');
    expect(await fieldAround(page, confirmField(page)).innerText()).toContain('The passwords do not match.');
    for (const field of [emailField(page), passwordField(page), confirmField(page)]) {
      expect(await field.getAttribute('aria-invalid')).toBe('true');
    }
    expect(await emailField(page).inputValue()).toBe('not-an-email');
    expect(await passwordField(page).inputValue()).toBe('');
  });

  browserTest('a mismatched confirmation is the only error shown, and the email stays', async ({ page }) => {
    const email = uniqueEmail('mismatch');
    await submitSignup(page, email, PASSWORD, `${PASSWORD} but different`);

    expect(pathOf(page)).toBe('/signup');
    expect(await fieldAround(page, confirmField(page)).innerText()).toContain('The passwords do not match.');
    expect(await emailField(page).getAttribute('aria-invalid')).toBeNull();
    expect(await passwordField(page).getAttribute('aria-invalid')).toBeNull();
    expect(await emailField(page).inputValue()).toBe(email);
  });
});
