import { mailedLink, navEmail, pathOf, signUpAndLogIn, submitLogin, toNextPage } from './support/pages';
import { expect, test } from './support/fixtures';

test.describe('a sign-in the owner did not make', () => {
  test('is mailed, and "This wasn\'t me" signs every device out and sends a reset link', async ({
    page,
    newContext,
  }) => {
    const email = await signUpAndLogIn(page);

    // Someone else signs in with the password from another browser.
    const intruder = await (await newContext()).newPage();
    await submitLogin(intruder, email);
    await expect(navEmail(intruder)).toHaveText(email);

    // The owner's mail names the new browser and carries the way out.
    const notMe = await mailedLink(email, '/account/not-me/');
    await page.goto(notMe);
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('This wasn’t me');
    await toNextPage(page, () =>
      page.getByRole('button', { name: 'Sign out everywhere and reset my password' }).click(),
    );
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Your account is secured');

    // Both browsers are signed out.
    for (const browser of [page, intruder]) {
      await browser.goto('/account');
      expect(pathOf(browser)).toBe('/login');
      await expect(navEmail(browser)).toHaveCount(0);
    }
    // The reset link came, and the "this wasn't me" link works only once.
    expect(await mailedLink(email, '/reset/')).toMatch(/^\/reset\//);
    await page.goto(notMe);
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('This link has expired or was already used');
  });
});
