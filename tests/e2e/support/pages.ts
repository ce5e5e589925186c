import type { Locator, Page } from '@playwright/test';
import { mailsTo } from '../../../support/outbox';
import { PASSWORD, uniqueEmail } from '../../../support/shopFlows';
import { waitFor } from '../../../support/waitFor';

export { PASSWORD, uniqueEmail };

/** Runs an action that leaves the page (a submit, a link) and resolves once the next page has loaded. */
export async function toNextPage(page: Page, action: () => Promise<void>): Promise<void> {
  await Promise.all([page.waitForEvent('load'), action()]);
}

export const pathOf = (page: Page): string => new URL(page.url()).pathname;

export const navEmail = (page: Page): Locator => page.getByTestId('nav-email');

export const emailField = (page: Page): Locator => page.getByLabel('Email', { exact: true });
export const passwordField = (page: Page): Locator => page.getByLabel('Password', { exact: true });
export const confirmField = (page: Page): Locator => page.getByLabel('Confirm password', { exact: true });

/** The form field (label, input, hint and error) around a labelled input. */
export const fieldAround = (page: Page, input: Locator): Locator => page.locator('.field', { has: input });

export async function submitSignup(page: Page, email: string, password: string, confirmation = password) {
  await page.goto('/signup');
  await emailField(page).fill(email);
  await passwordField(page).fill(password);
  await confirmField(page).fill(confirmation);
  await toNextPage(page, () => page.getByRole('button', { name: 'Create account' }).click());
}

export async function submitLogin(page: Page, email: string, password = PASSWORD) {
  await page.goto('/login');
  await emailField(page).fill(email);
  await passwordField(page).fill(password);
  await toNextPage(page, () => page.getByRole('button', { name: 'Log in' }).click());
}

let outboxDir: string | undefined;

/** Where the shop of the running test file writes its mail: set by the `server` fixture. */
export function useOutbox(dir: string): void {
  outboxDir = dir;
}

/** The path of the link to `pathPrefix` in the newest mail to `email` that has one (waiting for it). */
export async function mailedLink(email: string, pathPrefix: string): Promise<string> {
  if (!outboxDir) throw new Error('no outbox: the test does not use the `server` fixture');
  const pattern = new RegExp(`${pathPrefix}[\\w-]{43}`);
  const dir = outboxDir;
  return waitFor(
    `a ${pathPrefix} link in a mail to ${email}`,
    async () => {
      const mails = await mailsTo(dir, email);
      return mails
        .map((mail) => pattern.exec(mail.text)?.[0])
        .filter(Boolean)
        .pop();
    },
    15_000,
    50,
  );
}

/**
 * Opens the confirmation link mailed at signup and sends its page's form with the password, as the
 * new customer does; ends on the login page.
 */
export async function confirmSignup(page: Page, email: string, password = PASSWORD): Promise<void> {
  await page.goto(await mailedLink(email, '/verify/'));
  await confirmAddressOnPage(page, password);
}

/** On a confirmation link's page: types the password twice and confirms. */
export async function confirmAddressOnPage(page: Page, password = PASSWORD): Promise<void> {
  await passwordField(page).fill(password);
  await confirmField(page).fill(password);
  await toNextPage(page, () => page.getByRole('button', { name: 'Confirm my address' }).click());
}

/**
 * On the page of an address-change link (opening it changes nothing): types the password of the
 * account that asked for the change and confirms.
 */
export async function confirmEmailChangeOnPage(page: Page, password = PASSWORD): Promise<void> {
  await page.getByLabel('Your current password', { exact: true }).fill(password);
  await toNextPage(page, () => page.getByRole('button', { name: 'Use this address' }).click());
}

/** Signs a new user up, confirms their address and logs them in through the forms; returns their email. */
export async function signUpAndLogIn(page: Page, email = uniqueEmail()): Promise<string> {
  await submitSignup(page, email, PASSWORD);
  if (pathOf(page) !== '/login') throw new Error(`signup ended on ${page.url()}, not on the login page`);
  await confirmSignup(page, email);
  await submitLogin(page, email);
  if ((await navEmail(page).count()) === 0) throw new Error(`login as ${email} failed: ${page.url()}`);
  return email;
}

/** Whether the element has keyboard focus. */
export async function isFocused(locator: Locator): Promise<boolean> {
  return (await locator.and(locator.page().locator(':focus')).count()) === 1;
}

/** Presses Tab and returns the accessible text of what now has focus. */
export async function tab(page: Page, key: 'Tab' | 'Shift+Tab' = 'Tab'): Promise<string> {
  await page.keyboard.press(key);
  return (await page.locator(':focus').innerText()).trim();
}
