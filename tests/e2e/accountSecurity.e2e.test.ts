import { MongoClient } from 'mongodb';
import type { Page } from '@playwright/test';
import {
  confirmEmailChangeOnPage,
  confirmSignup,
  emailField,
  navEmail,
  passwordField,
  pathOf,
  signUpAndLogIn,
  submitSignup,
  toNextPage,
  PASSWORD,
  uniqueEmail,
} from './support/pages';
import { expect, test } from './support/fixtures';

// Both journeys end in /dev/mail, which exists only in development.
test.use({ nodeEnv: 'development' });

const REMEMBER = 'shop.sid.remember';

async function logInRemembered(page: Page, email: string) {
  await page.goto('/login');
  await emailField(page).fill(email);
  await passwordField(page).fill(PASSWORD);
  await page.getByLabel('Remember me on this browser').check();
  await toNextPage(page, () => page.getByRole('button', { name: 'Log in' }).click());
  await expect(navEmail(page)).toHaveText(email);
}

/** Opens the newest mail with `subject` in /dev/mail, as a developer would. */
async function openDevMail(page: Page, subject: string) {
  await page.goto('/dev/mail');
  await toNextPage(page, () => page.getByRole('link', { name: subject }).first().click());
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(subject);
}

test.describe('a stolen "remember me" token', () => {
  test('used after the owner’s browser replaced it: both are forgotten, and the owner is mailed', async ({
    page,
    context,
    newContext,
    server,
  }) => {
    const email = uniqueEmail('stolen');
    await submitSignup(page, email, PASSWORD);
    await confirmSignup(page, email);
    await logInRemembered(page, email);

    // Someone copies the owner's remember-me cookie into their own browser.
    const token = (await context.cookies()).find((cookie) => cookie.name === REMEMBER)!;
    const thiefContext = await newContext();
    await thiefContext.addCookies([token]);

    // The owner's session ends (the browser was closed); the next visit logs back in and rotates the token.
    await context.clearCookies({ name: 'shop.sid' });
    await page.goto('/account');
    expect(pathOf(page)).toBe('/account');
    await expect(page.getByTestId('remembered-browser')).toHaveCount(1);
    expect((await context.cookies()).find((cookie) => cookie.name === REMEMBER)?.value).not.toBe(token.value);

    // The thief comes later than the 30 s in which the owner's own tabs may race with one token:
    // the replacement is aged in the database rather than waited for.
    const client = await MongoClient.connect(server.databaseUri!);
    try {
      await client
        .db()
        .collection('remembertokens')
        .updateMany({ replacedAt: { $ne: null } }, { $set: { replacedAt: new Date(Date.now() - 60_000) } });
    } finally {
      await client.close();
    }
    const thief = await thiefContext.newPage();
    await thief.goto('/account');
    expect(pathOf(thief)).toBe('/login');
    await expect(navEmail(thief)).toHaveCount(0);
    expect((await thiefContext.cookies()).find((cookie) => cookie.name === REMEMBER)).toBeUndefined();

    // The owner's browser is no longer remembered either (its session goes on until it ends).
    await page.goto('/account');
    await expect(page.getByTestId('remembered-browser')).toHaveCount(0);
    await context.clearCookies({ name: 'shop.sid' });
    await page.goto('/account');
    expect(pathOf(page)).toBe('/login');

    await openDevMail(page, 'A stolen sign-in token of your Fernhill Goods account was used');
    await expect(page.getByText(`Recipient: ${email}`)).toBeVisible();
    await expect(page.getByText('Every remembered browser is signed out.')).toBeVisible();
  });
});

test.describe('changing the email', () => {
  test('is confirmed with the password on the page of the link mailed to the new address', async ({ page }) => {
    const email = await signUpAndLogIn(page, uniqueEmail('before'));
    const newEmail = uniqueEmail('after');
    await page.goto('/account');
    const form = page.locator('form[action="/account/email"]');
    await form.getByLabel('New email address').fill(newEmail);
    await form.getByLabel('Your password').fill(PASSWORD);
    await toNextPage(page, () => form.getByRole('button', { name: 'Change email' }).click());
    expect(pathOf(page)).toBe('/account');
    await expect(page.getByRole('status')).toContainText(`Check your inbox at ${newEmail}`);
    await expect(page.getByTestId('account-email')).toHaveText(email);

    await openDevMail(page, 'Confirm the new address of your Fernhill Goods account');
    await expect(page.getByText(`Recipient: ${newEmail}`)).toBeVisible();
    await toNextPage(page, () => page.getByRole('link', { name: /\/account\/email\/verify\// }).click());
    // Opening the link only shows a form (a mail scanner opens links too); the account's password confirms.
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Confirm the new address');
    await confirmEmailChangeOnPage(page);
    expect(pathOf(page)).toBe('/account');
    await expect(page.getByRole('status')).toHaveText(`Your account’s address is now ${newEmail}.`);
    await expect(page.getByTestId('account-email')).toHaveText(newEmail);
    await expect(navEmail(page)).toHaveText(newEmail);

    // The old address is told, with the way back.
    await openDevMail(page, 'The email address of your Fernhill Goods account was changed');
    await expect(page.getByText(`Recipient: ${email}`)).toBeVisible();
    await expect(page.getByRole('link', { name: /\/account\/not-me\// })).toBeVisible();
  });
});
