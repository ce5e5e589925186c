import type { Page } from 'playwright-core';
import {
  PASSWORD,
  emailField,
  navEmail,
  pathOf,
  passwordField,
  signUpAndLogIn,
  submitLogin,
  submitSignup,
  toNextPage,
  uniqueEmail,
} from './support/pages';
import { linkIn, waitForMailTo } from './support/mail';
import { flashes } from './support/shopping';
import { useShop } from './support/shop';

const { browserTest } = useShop();

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

describe('the account page on two devices', () => {
  browserTest('lists both sessions, marks this one, and signs the other out', async ({ newContext }) => {
    const laptop = await (await newContext({ userAgent: LAPTOP_UA })).newPage();
    const phone = await (await newContext({ userAgent: PHONE_UA })).newPage();
    const email = await signUpAndLogIn(laptop);
    await submitLogin(phone, email);
    expect(await navEmail(phone).innerText()).toBe(email);

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
    expect(await laptop.getByRole('status').innerText()).toBe('Signed out 1 other device.');
    expect(await listedSessions(laptop)).toEqual([{ device: 'Chrome 140 on Linux', thisDevice: true }]);
    expect(await laptop.getByRole('button', { name: 'Sign out everywhere else' }).count()).toBe(0);

    // The phone still shows the page it had; its next navigation finds the session gone.
    expect(await navEmail(phone).innerText()).toBe(email);
    await phone.reload();
    expect(pathOf(phone)).toBe('/login');
    expect(await phone.getByRole('heading', { level: 1 }).innerText()).toBe('Log in');
    expect(await navEmail(phone).count()).toBe(0);

    // The laptop is still logged in.
    await laptop.goto('/orders');
    expect(pathOf(laptop)).toBe('/orders');
    expect(await navEmail(laptop).innerText()).toBe(email);
  });
});

describe('a forgotten password', () => {
  browserTest(
    'is reset through the link in the mail, which signs out every session and works once',
    async ({ page, newContext, server }) => {
      const email = uniqueEmail('forgetful');
      await submitSignup(page, email, PASSWORD);
      // Someone else who knows the old password is logged in elsewhere.
      const elsewhere = await (await newContext()).newPage();
      await submitLogin(elsewhere, email);
      expect(await navEmail(elsewhere).innerText()).toBe(email);

      await page.goto('/login');
      await toNextPage(page, () => page.getByRole('link', { name: 'Forgot your password?' }).click());
      expect(pathOf(page)).toBe('/reset');
      expect(await page.getByRole('heading', { level: 1 }).innerText()).toBe('Reset your password');
      await emailField(page).fill(email);
      await toNextPage(page, () => page.getByRole('button', { name: 'Send reset link' }).click());
      expect(pathOf(page)).toBe('/login');
      expect(await flashes(page)).toEqual([
        'If an account exists for that email, we have sent it a link to choose a new password. The link works once, for one hour.',
      ]);

      const mail = await waitForMailTo(email);
      expect(mail.subject).toBe('Reset your Fernhill Goods password');
      const link = linkIn(mail);
      // The link is built from APP_URL, which the test server sets to its own address.
      expect(link.startsWith(`${server.url}/reset/`)).toBe(true);
      expect(link).toMatch(/\/reset\/[\w-]{43}$/);

      await page.goto(link);
      expect(await page.getByRole('heading', { level: 1 }).innerText()).toBe('Choose a new password');
      const newPassword = 'a brand new password, long enough';
      await page.getByLabel('New password', { exact: true }).fill(newPassword);
      await page.getByLabel('Confirm new password', { exact: true }).fill(newPassword);
      await toNextPage(page, () => page.getByRole('button', { name: 'Set new password' }).click());
      expect(pathOf(page)).toBe('/login');
      expect(await page.getByRole('status').innerText()).toBe(
        'Your password is changed. Please log in with the new one.',
      );

      // The old password no longer works; the new one does.
      await submitLogin(page, email, PASSWORD);
      expect(await page.getByRole('alert').innerText()).toBe('Invalid email or password.');
      expect(await passwordField(page).inputValue()).toBe('');
      await submitLogin(page, email, newPassword);
      expect(pathOf(page)).toBe('/');
      expect(await navEmail(page).innerText()).toBe(email);

      // The session opened with the old password has ended.
      await elsewhere.goto('/account');
      expect(pathOf(elsewhere)).toBe('/login');

      // The link worked once.
      const again = await page.goto(link);
      expect(again?.status()).toBe(410);
      expect(await page.getByRole('heading', { level: 1 }).innerText()).toBe(
        'This link has expired or was already used',
      );
    },
  );
});
