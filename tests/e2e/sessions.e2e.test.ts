import { navEmail, pathOf, signUpAndLogIn, toNextPage } from './support/pages';
import { DEMO } from './support/catalog';
import { addToCart, cartRows, navCartCount, openProducts } from './support/shopping';
import { expect, test } from './support/fixtures';

test.use({ seed: true });

test.describe('a login session as the browser lives it', () => {
  test('survives a restart of the server process, and so does the cart', async ({ page, server }) => {
    const email = await signUpAndLogIn(page);
    await openProducts(page);
    await addToCart(page, DEMO.mug.title);
    await openProducts(page);
    await addToCart(page, DEMO.notebook.title);
    await openProducts(page);
    await addToCart(page, DEMO.mug.title);
    await page.goto('/cart');
    const cartBefore = await cartRows(page);
    expect(cartBefore).toEqual([
      { product: DEMO.mug.title, price: '$18.00', quantity: '2', subtotal: '$36.00' },
      { product: DEMO.notebook.title, price: '$14.50', quantity: '1', subtotal: '$14.50' },
    ]);
    const pidBefore = server.pid;

    await server.restart();
    expect(server.pid).not.toBe(pidBefore);
    await page.reload();

    expect(pathOf(page)).toBe('/cart');
    await expect(navEmail(page)).toHaveText(email);
    expect(await cartRows(page)).toEqual(cartBefore);
    expect(await navCartCount(page)).toBe('3');
    await page.goto('/account');
    await expect(page.getByTestId('account-email')).toHaveText(email);
  });

  test('is held in an HttpOnly, SameSite=Lax cookie that scripts cannot read', async ({ page, context }) => {
    await signUpAndLogIn(page);

    // The session, the forms' CSRF token, the device cookie of a browser that logged in, and the
    // token of the passkey challenge the login page's autofill asked for: all HttpOnly.
    const cookies = await context.cookies();
    expect(cookies.map((cookie) => cookie.name).sort()).toEqual([
      'shop.sid',
      'shop.sid.csrf',
      'shop.sid.device',
      'shop.sid.webauthn',
    ]);
    for (const cookie of cookies) expect(cookie.httpOnly).toBe(true);
    const sid = cookies.find((cookie) => cookie.name === 'shop.sid');
    expect(sid).toMatchObject({ name: 'shop.sid', httpOnly: true, sameSite: 'Lax', secure: false, path: '/' });
    // A browser-session cookie: the idle timeout and the absolute lifetime are the server's.
    expect(sid?.expires).toBe(-1);

    // A cookie scripts may read shows up in document.cookie; the session cookie must not.
    await context.addCookies([{ name: 'probe', value: 'visible', url: page.url() }]);
    const scriptVisible = await page.evaluate<string>('document.cookie');
    expect(scriptVisible).not.toContain('shop.sid');
    expect(scriptVisible).toBe('probe=visible');
  });

  test('is shared by two tabs, and logging out in one logs out the other', async ({ page, context }) => {
    const email = await signUpAndLogIn(page);
    const otherTab = await context.newPage();
    await otherTab.goto('/account');
    await expect(otherTab.getByTestId('account-email')).toHaveText(email);

    await toNextPage(page, () => page.getByRole('button', { name: 'Log out' }).click());
    await expect(navEmail(page)).toHaveCount(0);

    // The other tab still shows the account page until its next navigation.
    await expect(navEmail(otherTab)).toHaveText(email);
    await otherTab.goto('/account');
    expect(pathOf(otherTab)).toBe('/login');
    await expect(otherTab.getByRole('heading', { level: 1 })).toHaveText('Log in');
    await expect(navEmail(otherTab)).toHaveCount(0);
  });
});
