import type { Page } from '@playwright/test';
import {
  PASSWORD,
  emailField,
  navEmail,
  pathOf,
  passwordField,
  confirmSignup,
  signUpAndLogIn,
  submitLogin,
  submitSignup,
  toNextPage,
  uniqueEmail,
} from './support/pages';
import { flashes } from './support/shopping';
import { linkIn, waitForMailTo } from '../../support/outbox';
import { expect, test } from './support/fixtures';

/** Two "devices": the session list names each by its browser and system. */
const LAPTOP_UA =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0.0.0 Safari/537.36';
const PHONE_UA =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1';

interface ListedSession {
  device: string;
  thisDevice: boolean;
}

/** The sessions listed on /account: the device name and whether it is marked "This device". */
async function listedSessions(page: Page): Promise<ListedSession[]> {
  const result: ListedSession[] = [];
  for (const session of await page.getByTestId('session').all()) {
    result.push({
      device: (await session.locator('strong').innerText()).trim(),
      thisDevice: (await session.getByText('This device', { exact: true }).count()) === 1,
    });
  }
  return result;
}

const byDevice = (a: ListedSession, b: ListedSession) => a.device.localeCompare(b.device);

test.describe('the account page on two devices', () => {
  test('lists both sessions, marks this one, and signs the other out', async ({ newContext }) => {
    const laptop = await (await newContext({ userAgent: LAPTOP_UA })).newPage();
    const phone = await (await newContext({ userAgent: PHONE_UA })).newPage();
    const email = await signUpAndLogIn(laptop);
    await submitLogin(phone, email);
    await expect(navEmail(phone)).toHaveText(email);

    await laptop.goto('/account');
    expect((await listedSessions(laptop)).sort(byDevice)).toEqual([
      { device: 'Chrome 140 on Linux', thisDevice: true },
      { device: 'Safari 17 on iOS', thisDevice: false },
    ]);
    await phone.goto('/account');
    expect((await listedSessions(phone)).sort(byDevice)).toEqual([
      { device: 'Chrome 140 on Linux', thisDevice: false },
      { device: 'Safari 17 on iOS', thisDevice: true },
    ]);

    await toNextPage(laptop, () => laptop.getByRole('button', { name: 'Sign out everywhere else' }).click());
    expect(pathOf(laptop)).toBe('/account');
    await expect(laptop.getByRole('status')).toHaveText('Signed out 1 other device.');
    expect(await listedSessions(laptop)).toEqual([{ device: 'Chrome 140 on Linux', thisDevice: true }]);
    await expect(laptop.getByRole('button', { name: 'Sign out everywhere else' })).toHaveCount(0);

    // The phone still shows the page it had; its next navigation finds the session gone.
    await expect(navEmail(phone)).toHaveText(email);
    await phone.reload();
    expect(pathOf(phone)).toBe('/login');
    await expect(phone.getByRole('heading', { level: 1 })).toHaveText('Log in');
    await expect(navEmail(phone)).toHaveCount(0);

    // The laptop is still logged in.
    await laptop.goto('/orders');
    expect(pathOf(laptop)).toBe('/orders');
    await expect(navEmail(laptop)).toHaveText(email);
  });
});

test.describe('a forgotten password', () => {
  test('is reset through the link in the mail, which signs out every session and works once', async ({
    page,
    newContext,
    server,
  }) => {
    const email = uniqueEmail('forgetful');
    await submitSignup(page, email, PASSWORD);
    await confirmSignup(page, email);
    // Someone else who knows the old password is logged in elsewhere.
    const elsewhere = await (await newContext()).newPage();
    await submitLogin(elsewhere, email);
    await expect(navEmail(elsewhere)).toHaveText(email);

    await page.goto('/login');
    await toNextPage(page, () => page.getByRole('link', { name: 'Forgot your password?' }).click());
    expect(pathOf(page)).toBe('/reset');
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Reset your password');
    await emailField(page).fill(email);
    await toNextPage(page, () => page.getByRole('button', { name: 'Send reset link' }).click());
    expect(pathOf(page)).toBe('/login');
    expect(await flashes(page)).toEqual([
      'If an account exists for that email, we have sent it a link to choose a new password. The link works once, for one hour.',
    ]);

    const mail = await waitForMailTo(server.outboxDir, email, 15_000, 'Reset your Fernhill Goods password');
    const link = linkIn(mail);
    // The link is built from APP_URL, which the test server sets to its own address.
    expect(link.startsWith(`${server.url}/reset/`)).toBe(true);
    expect(link).toMatch(/\/reset\/[\w-]{43}$/);

    await page.goto(link);
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Choose a new password');
    const newPassword = 'a brand new password, long enough';
    await page.getByLabel('New password', { exact: true }).fill(newPassword);
    await page.getByLabel('Confirm new password', { exact: true }).fill(newPassword);
    await toNextPage(page, () => page.getByRole('button', { name: 'Set new password' }).click());
    expect(pathOf(page)).toBe('/login');
    await expect(page.getByRole('status')).toHaveText('Your password is changed. Please log in with the new one.');

    // The old password no longer works; the new one does.
    await submitLogin(page, email, PASSWORD);
    await expect(page.getByRole('alert')).toHaveText('Invalid email or password.');
    await expect(passwordField(page)).toHaveValue('');
    await submitLogin(page, email, newPassword);
    expect(pathOf(page)).toBe('/');
    await expect(navEmail(page)).toHaveText(email);

    // The session opened with the old password has ended.
    await elsewhere.goto('/account');
    expect(pathOf(elsewhere)).toBe('/login');

    // The link worked once.
    const again = await page.goto(link);
    expect(again?.status()).toBe(410);
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('This link has expired or was already used');
  });
});
