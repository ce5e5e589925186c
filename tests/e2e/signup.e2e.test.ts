import {
  confirmAddressOnPage,
  emailField,
  navEmail,
  passwordField,
  pathOf,
  submitLogin,
  submitSignup,
  toNextPage,
  PASSWORD,
  uniqueEmail,
} from './support/pages';
import { expect, test } from './support/fixtures';

// /dev/mail exists only in development: this file's shop runs with NODE_ENV=development.
test.use({ nodeEnv: 'development' });

test.describe('signing up without a mail server', () => {
  test('a newcomer signs up, finds the confirmation in /dev/mail, opens it and logs in', async ({ page }) => {
    const email = uniqueEmail('newcomer');
    await submitSignup(page, email, PASSWORD);
    expect(pathOf(page)).toBe('/login');
    await expect(page.getByRole('status')).toContainText('Check your inbox');

    // Before confirming, the right password only leads to the offer of a new link.
    await submitLogin(page, email);
    expect(pathOf(page)).toBe('/login');
    await expect(page.getByRole('alert')).toHaveText(/Confirm your email address first/);
    await expect(page.getByRole('button', { name: 'Send me a new confirmation link' })).toBeVisible();
    await expect(navEmail(page)).toHaveCount(0);

    await page.goto('/dev/mail');
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Mail sent by this shop');
    await toNextPage(page, () =>
      page.getByRole('link', { name: 'Confirm your Fernhill Goods account' }).first().click(),
    );
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Confirm your Fernhill Goods account');
    await toNextPage(page, () => page.getByRole('link', { name: /\/verify\// }).click());
    // Opening the link only shows the form (a mail scanner opens links too); the form confirms.
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Confirm your address');
    await confirmAddressOnPage(page, PASSWORD);
    expect(pathOf(page)).toBe('/login');
    await expect(page.getByRole('status')).toHaveText('Your email address is confirmed. You can log in now.');

    await emailField(page).fill(email);
    await passwordField(page).fill(PASSWORD);
    await toNextPage(page, () => page.getByRole('button', { name: 'Log in' }).click());
    await expect(navEmail(page)).toHaveText(email);
  });
});
