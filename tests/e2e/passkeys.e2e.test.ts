import { Secret, TOTP } from 'otpauth';
import type { BrowserContext, Page } from '@playwright/test';
import { emailField, navEmail, passwordField, pathOf, signUpAndLogIn, toNextPage, PASSWORD } from './support/pages';
import { expect, test } from './support/fixtures';

/**
 * Passkeys in Chromium (issue #24), with the DevTools protocol's virtual authenticator (a platform
 * authenticator: CTAP2, internal transport, resident keys, user verification on), on a site named
 * "localhost": WebAuthn takes no IP address as a site.
 */
test.use({ siteName: 'localhost' });

/**
 * Gives the page a virtual platform authenticator that verifies the user and approves every
 * request (the autofill's conditional request too, as soon as the login page makes it).
 */
async function virtualAuthenticator(context: BrowserContext, page: Page) {
  const cdp = await context.newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
  const credentials = async () => (await cdp.send('WebAuthn.getCredentials', { authenticatorId })).credentials;
  /** Puts the credentials of `other` into this authenticator (the same passkey, synced to another tab). */
  const copyFrom = async (other: { credentials: typeof credentials }) => {
    for (const credential of await other.credentials()) {
      await cdp.send('WebAuthn.addCredential', { authenticatorId, credential });
    }
  };
  return { credentials, copyFrom };
}

/**
 * A browser without passkey autofill (the page never makes the conditional request), where the
 * login page's button is the way: otherwise the virtual authenticator answers the autofill at once.
 */
const withoutAutofill = (page: Page) =>
  page.addInitScript(() => {
    const credential = (
      globalThis as unknown as { PublicKeyCredential?: { isConditionalMediationAvailable?: unknown } }
    ).PublicKeyCredential;
    if (credential) credential.isConditionalMediationAvailable = () => Promise.resolve(false);
  });

async function logOut(page: Page) {
  await toNextPage(page, () => page.getByRole('button', { name: 'Log out' }).click());
}

async function passwordStep(page: Page, email: string) {
  await page.goto('/login');
  await emailField(page).fill(email);
  await passwordField(page).fill(PASSWORD);
  await toNextPage(page, () => page.getByRole('button', { name: 'Log in' }).click());
}

test('add a passkey, sign in with it (button and autofill), use it instead of the code, remove it', async ({
  page,
  context,
}) => {
  await withoutAutofill(page);
  const authenticator = await virtualAuthenticator(context, page);
  const email = await signUpAndLogIn(page);

  // Adding: "Add a passkey" on /account (the password was just typed: no confirmation needed).
  await page.goto('/account');
  await toNextPage(page, () => page.getByRole('button', { name: 'Add a passkey' }).click());
  await expect(page.getByText('Your passkey is added')).toBeVisible();
  await expect(page.getByTestId('passkey')).toHaveCount(1);
  await expect(page.getByTestId('passkey-name')).toHaveText(/Chrom/);
  expect(await authenticator.credentials()).toHaveLength(1);

  // Signing in with the button: no password.
  await logOut(page);
  await page.goto('/login');
  await expect(emailField(page)).toHaveAttribute('autocomplete', 'username webauthn');
  await toNextPage(page, () => page.getByRole('button', { name: 'Sign in with a passkey' }).click());
  await expect(navEmail(page)).toHaveText(email);
  await page.goto('/account');
  await expect(page.getByText('Signed in with a passkey').first()).toBeVisible();
  await expect(page.getByTestId('passkey')).toContainText('last used');

  // With an authenticator app on, the phone lost: the passkey instead of the code.
  await page.goto('/account/two-factor');
  const key = (await page.locator('#totp-secret').textContent())!.trim();
  const code = new TOTP({ secret: Secret.fromBase32(key) }).generate();
  await page.getByLabel('Code from the app').fill(code);
  await toNextPage(page, () => page.getByRole('button', { name: 'Turn on two-step sign-in' }).click());
  await expect(page.locator('#recovery-codes li')).toHaveCount(10);
  await page.goto('/account');
  await logOut(page);
  await passwordStep(page, email);
  expect(pathOf(page)).toBe('/login/two-factor');
  await toNextPage(page, () => page.getByRole('button', { name: 'Use a passkey instead' }).click());
  await expect(navEmail(page)).toHaveText(email);
  await page.goto('/account');
  await expect(page.getByText('Signed in with the password and a passkey').first()).toBeVisible();
  await logOut(page);

  // Signing in through autofill, in a tab that has it: the email field's conditional request is
  // answered by the authenticator (a person picks the passkey the field offers), and signs in.
  const tab = await context.newPage();
  await (await virtualAuthenticator(context, tab)).copyFrom(authenticator);
  await tab.goto('/login');
  await tab.waitForURL((url) => url.pathname === '/');
  await expect(navEmail(tab)).toHaveText(email);
  await tab.close();

  // (The tab signed this browser in: its session is this page's too.)
  await page.goto('/account');
  // Removing it: it no longer signs in.
  await toNextPage(page, () => page.getByRole('button', { name: /Remove the passkey/ }).click());
  await expect(page.getByText(/The passkey “.*” is removed/)).toBeVisible();
  await expect(page.getByTestId('passkey')).toHaveCount(0);
  await logOut(page);
  await page.goto('/login');
  await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
  await expect(page.getByRole('alert').filter({ hasText: 'not accepted' })).toBeVisible();
  await expect(navEmail(page)).toHaveCount(0);
});
