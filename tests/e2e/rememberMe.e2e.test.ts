import {
  confirmSignup,
  emailField,
  navEmail,
  passwordField,
  pathOf,
  submitSignup,
  toNextPage,
  PASSWORD,
  uniqueEmail,
} from './support/pages';
import { expect, test } from './support/fixtures';

test.describe('remember me, and re-authentication', () => {
  test('a remembered browser survives the end of its session, then confirms the password to sign out everywhere', async ({
    page,
    context,
    newContext,
  }) => {
    const email = uniqueEmail('remembered');
    await submitSignup(page, email, PASSWORD);
    await confirmSignup(page, email);
    await emailField(page).fill(email);
    await passwordField(page).fill(PASSWORD);
    await page.getByLabel('Remember me on this browser').check();
    await toNextPage(page, () => page.getByRole('button', { name: 'Log in' }).click());
    await expect(navEmail(page)).toHaveText(email);

    const before = await context.cookies();
    const remember = before.find((cookie) => cookie.name === 'shop.sid.remember');
    expect(remember?.httpOnly).toBe(true);
    // A persistent cookie (about 30 days), unlike the session's.
    expect(remember!.expires * 1000).toBeGreaterThan(Date.now() + 29 * 86_400_000);

    // Another device is signed in too.
    const other = await (await newContext()).newPage();
    await other.goto('/login');
    await emailField(other).fill(email);
    await passwordField(other).fill(PASSWORD);
    await toNextPage(other, () => other.getByRole('button', { name: 'Log in' }).click());
    await expect(navEmail(other)).toHaveText(email);

    // The browser is closed and opened again: its session cookie is gone, the remember-me one is not.
    await context.clearCookies({ name: 'shop.sid' });
    await page.goto('/account');
    expect(pathOf(page)).toBe('/account');
    await expect(page.getByTestId('account-email')).toHaveText(email);
    const rotated = (await context.cookies()).find((cookie) => cookie.name === 'shop.sid.remember');
    expect(rotated?.value).not.toBe(remember?.value);

    // A restored session has not entered the password: signing out everywhere asks for it first.
    await toNextPage(page, () => page.getByRole('button', { name: 'Sign out everywhere else' }).click());
    expect(pathOf(page)).toBe('/account/confirm');
    await passwordField(page).fill(PASSWORD);
    await toNextPage(page, () => page.getByRole('button', { name: 'Confirm' }).click());
    await expect(page.getByRole('status')).toHaveText('Now you can finish what you started.');
    await toNextPage(page, () => page.getByRole('button', { name: 'Sign out everywhere else' }).click());
    expect(pathOf(page)).toBe('/account');
    // The other device, and this browser's old session (its cookie was dropped, not the session).
    await expect(page.getByRole('status')).toHaveText('Signed out 2 other devices.');

    await other.goto('/account');
    expect(pathOf(other)).toBe('/login');
  });
});
