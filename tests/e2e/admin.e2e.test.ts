import type { Page } from '@playwright/test';
import { DEMO_ADMIN } from '../../src/seed/demoData';
import { fieldAround, pathOf, signUpAndLogIn, submitLogin, toNextPage } from './support/pages';
import { DEMO } from './support/catalog';
import { productCards } from './support/shopping';
import { expect, test } from './support/fixtures';
import { tinyPng } from '../../support/images';

test.use({ seed: true });

const titleField = (page: Page) => page.getByLabel('Title', { exact: true });
const priceField = (page: Page) => page.getByLabel('Price (USD)', { exact: true });
const imageField = (page: Page) => page.getByLabel(/^(Image|Replace the image)$/);
const descriptionField = (page: Page) => page.getByLabel('Description', { exact: true });
const categoryField = (page: Page) => page.getByLabel('Category', { exact: true });
const stockField = (page: Page) => page.getByLabel('Stock', { exact: true });

interface ProductForm {
  title: string;
  price: string;
  description: string;
  category: string;
  stock: string;
}

/** A file as the admin picks it in the browser's file chooser. */
interface ImageFile {
  name: string;
  mimeType: string;
  buffer: Buffer;
}

/** A real PNG of this size, which the browser decodes (its natural size proves it arrived whole). */
const photo = (width: number, height: number): ImageFile => ({
  name: `photo-${width}x${height}.png`,
  mimeType: 'image/png',
  buffer: tinyPng(width, height),
});

async function fillProductForm(page: Page, form: ProductForm, image?: ImageFile): Promise<void> {
  await titleField(page).fill(form.title);
  await priceField(page).fill(form.price);
  if (image) await imageField(page).setInputFiles(image);
  await descriptionField(page).fill(form.description);
  await categoryField(page).selectOption(form.category);
  await stockField(page).fill(form.stock);
}

const formValues = async (page: Page): Promise<ProductForm> => ({
  title: await titleField(page).inputValue(),
  price: await priceField(page).inputValue(),
  description: await descriptionField(page).inputValue(),
  category: await categoryField(page).inputValue(),
  stock: await stockField(page).inputValue(),
});

/** The image of the first product card, once the browser has loaded it: where from, and its size. */
async function firstCardImage(page: Page): Promise<{ src: string; width: number; height: number }> {
  const image = page.locator('.product-card img').first();
  await expect(image).toHaveJSProperty('complete', true);
  // naturalWidth is 0 for an image the browser could not decode (or the CSP blocked).
  const size = async (side: 'naturalWidth' | 'naturalHeight') =>
    Number(await image.evaluate((img, key) => (img as unknown as Record<string, number>)[key], side));
  return {
    src: (await image.getAttribute('src')) ?? '',
    width: await size('naturalWidth'),
    height: await size('naturalHeight'),
  };
}

const logInAsAdmin = (page: Page) => submitLogin(page, DEMO_ADMIN.email, DEMO_ADMIN.password);

/** The products listed on /admin/products, as title and price. */
async function adminProducts(page: Page): Promise<{ title: string; price: string }[]> {
  const result: { title: string; price: string }[] = [];
  for (const item of await page.getByTestId('admin-product').all()) {
    result.push({
      title: (await item.getByRole('heading').innerText()).trim(),
      price: (await item.locator('.admin-price').innerText()).trim(),
    });
  }
  return result;
}

async function openAdmin(page: Page): Promise<void> {
  await toNextPage(page, () =>
    page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Admin' }).click(),
  );
  expect(pathOf(page)).toBe('/admin/products');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Products');
}

const TRAY: ProductForm = {
  title: 'Walnut Serving Tray',
  price: '39.5',
  description: 'A walnut tray with raised edges, oiled by hand.',
  category: 'kitchen',
  stock: '7',
};

test.describe('managing products in /admin', () => {
  test('an admin adds, edits and deletes a product; a customer can see it but not change it', async ({
    page,
    newContext,
  }) => {
    await logInAsAdmin(page);
    await openAdmin(page);

    await toNextPage(page, () => page.getByRole('link', { name: 'Add a product' }).click());
    expect(pathOf(page)).toBe('/admin/add-product');
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Add a product');
    await fillProductForm(page, TRAY, photo(8, 6));
    await toNextPage(page, () => page.getByRole('button', { name: 'Add product' }).click());

    expect(pathOf(page)).toBe('/admin/products');
    await expect(page.getByRole('status')).toHaveText(`“${TRAY.title}” is now in the shop.`);
    // Newest first, before the twelve demo products.
    expect((await adminProducts(page))[0]).toEqual({ title: TRAY.title, price: '$39.50' });
    const detailHref = await page.getByRole('link', { name: TRAY.title, exact: true }).getAttribute('href');
    const productId = detailHref?.split('/').pop() ?? '';
    expect(detailHref).toBe(`/products/${productId}`);

    // The newest product comes first in the shop, showing the uploaded photo, served by the shop.
    await page.goto('/products');
    expect((await productCards(page))[0]).toEqual({ title: TRAY.title, price: '$39.50' });
    const uploaded = await firstCardImage(page);
    expect(uploaded).toEqual({ src: expect.stringMatching(/^\/images\/uploads\/[0-9a-f]{24}$/), width: 8, height: 6 });

    // Edit: the form holds the current values; the new title and price show everywhere.
    await openAdmin(page);
    await toNextPage(page, () => page.getByRole('link', { name: `Edit ${TRAY.title}` }).click());
    expect(pathOf(page)).toBe(`/admin/edit-product/${productId}`);
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Edit product');
    expect(await formValues(page)).toEqual({ ...TRAY, price: '39.50' });
    await expect(page.getByTestId('current-image')).toHaveAttribute('src', uploaded.src);
    await titleField(page).fill('Walnut Tray, Large');
    await priceField(page).fill('44');
    await imageField(page).setInputFiles(photo(12, 9));
    await toNextPage(page, () => page.getByRole('button', { name: 'Save changes' }).click());

    expect(pathOf(page)).toBe('/admin/products');
    await expect(page.getByRole('status')).toHaveText('Saved “Walnut Tray, Large”.');
    expect((await adminProducts(page))[0]).toEqual({ title: 'Walnut Tray, Large', price: '$44.00' });
    await page.goto('/products');
    const cards = await productCards(page);
    expect(cards[0]).toEqual({ title: 'Walnut Tray, Large', price: '$44.00' });
    expect(cards.map((card) => card.title)).not.toContain(TRAY.title);
    // The new photo replaced the old one, whose file is gone.
    const replaced = await firstCardImage(page);
    expect(replaced).toEqual({ src: expect.stringMatching(/^\/images\/uploads\//), width: 12, height: 9 });
    expect(replaced.src).not.toBe(uploaded.src);
    expect((await page.request.get(uploaded.src)).status()).toBe(404);
    await page.goto(`/products/${productId}`);
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Walnut Tray, Large');
    await expect(page.locator('.product-price')).toHaveText('$44.00');
    await expect(page.locator('.product-description')).toHaveText(TRAY.description);

    // A customer, in a browser of their own: the product is in the shop, the admin pages are not theirs.
    const other = await (await newContext()).newPage();
    await signUpAndLogIn(other);
    await other.goto(`/products/${productId}`);
    await expect(other.getByRole('heading', { level: 1 })).toHaveText('Walnut Tray, Large');
    await expect(other.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Admin' })).toHaveCount(0);
    const refused = await other.goto(`/admin/edit-product/${productId}`);
    expect(refused?.status()).toBe(403);
    await expect(other.getByRole('heading', { level: 1 })).toHaveText('Error 403');
    await expect(other.getByText('This part of the shop is for its staff only.')).toBeVisible();
    await expect(titleField(other)).toHaveCount(0);

    // The admin deletes it: gone from the admin list, the shop and its own address.
    await openAdmin(page);
    await toNextPage(page, () => page.getByRole('button', { name: 'Delete Walnut Tray, Large' }).click());
    expect(pathOf(page)).toBe('/admin/products');
    await expect(page.getByRole('status')).toHaveText('Deleted “Walnut Tray, Large”.');
    expect((await adminProducts(page)).map((product) => product.title)).not.toContain('Walnut Tray, Large');
    await page.goto('/products');
    const remaining = (await productCards(page)).map((card) => card.title);
    expect(remaining).not.toContain('Walnut Tray, Large');
    expect(remaining[0]).toBe(DEMO.mug.title);
    const gone = await page.goto(`/products/${productId}`);
    expect(gone?.status()).toBe(404);
    await expect(page.getByText('Product not found.')).toBeVisible();
    expect((await page.request.get(replaced.src)).status()).toBe(404);
  });

  test('a too-short title and a price of "abc" are refused next to their fields; the rest stays', async ({ page }) => {
    await logInAsAdmin(page);
    await page.goto('/admin/add-product');
    const typed = { ...TRAY, title: 'ab', price: 'abc' };
    await fillProductForm(page, typed, photo(4, 3));
    const refused = page.waitForResponse((response) => response.request().method() === 'POST');
    await toNextPage(page, () => page.getByRole('button', { name: 'Add product' }).click());

    expect((await refused).status()).toBe(422);
    expect(pathOf(page)).toBe('/admin/add-product');
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Add a product');
    await expect(fieldAround(page, titleField(page))).toContainText('The title needs 3 to 100 characters.');
    await expect(fieldAround(page, priceField(page))).toContainText(
      'Enter a price such as 12.50: more than 0, at most two decimals.',
    );
    await expect(titleField(page)).toHaveAttribute('aria-invalid', 'true');
    await expect(priceField(page)).toHaveAttribute('aria-invalid', 'true');
    // The message is what a screen reader announces with the field.
    await expect(priceField(page)).toHaveAttribute('aria-describedby', 'price-hint price-error');
    await expect(page.locator('#price-error')).toHaveText(
      'Enter a price such as 12.50: more than 0, at most two decimals.',
    );
    await expect(descriptionField(page)).not.toHaveAttribute('aria-invalid');
    // A browser cannot fill a file field back in, so the form says to choose the image again.
    await expect(fieldAround(page, imageField(page))).toContainText('Choose the image again');
    expect(await formValues(page)).toEqual(typed);

    await openAdmin(page);
    expect((await adminProducts(page)).map((product) => product.title)).not.toContain('ab');
  });

  const refusedFiles = [
    {
      what: 'a text file named like a PNG',
      file: { name: 'tray.png', mimeType: 'image/png', buffer: Buffer.from('not a picture at all\n') },
      message: 'That file is not an image the shop takes. Choose a JPEG, PNG or WebP image of at most 2 MB.',
    },
    {
      what: 'a PNG one byte over 2 MB',
      file: {
        name: 'huge.png',
        mimeType: 'image/png',
        buffer: Buffer.concat([tinyPng(), Buffer.alloc(2 * 1024 * 1024 + 1 - tinyPng().length)]),
      },
      message: 'That file is larger than 2 MB. Choose a JPEG, PNG or WebP image of at most 2 MB.',
    },
  ];
  for (const { what, file, message } of refusedFiles) {
    test(`${what} is refused on the image field, every other value kept, and nothing is added`, async ({ page }) => {
      await logInAsAdmin(page);
      await page.goto('/admin/add-product');
      await fillProductForm(page, TRAY, file);
      const refused = page.waitForResponse((response) => response.request().method() === 'POST');
      await toNextPage(page, () => page.getByRole('button', { name: 'Add product' }).click());

      expect((await refused).status()).toBe(422);
      await expect(imageField(page)).toHaveAttribute('aria-invalid', 'true');
      await expect(page.locator('#image-error')).toHaveText(message);
      expect(await formValues(page)).toEqual(TRAY);
      await openAdmin(page);
      expect((await adminProducts(page)).map((product) => product.title)).not.toContain(TRAY.title);
    });
  }
});

test.describe('accounts in /admin', () => {
  test('an admin finds a customer by email and signs them out everywhere', async ({ page, newContext }) => {
    const customer = await (await newContext()).newPage();
    const email = await signUpAndLogIn(customer);

    await logInAsAdmin(page);
    await openAdmin(page);
    await toNextPage(page, () => page.getByRole('link', { name: 'Users' }).click());
    expect(pathOf(page)).toBe('/admin/users');
    await page.getByLabel('Search accounts by email').fill(email.toUpperCase());
    await toNextPage(page, () => page.getByRole('button', { name: 'Search' }).click());
    const row = page.getByTestId('admin-user');
    await expect(row).toHaveCount(1);
    await expect(row.getByTestId('admin-user-email')).toHaveText(email);
    await expect(row.getByTestId('admin-user-sessions')).toHaveText('1');

    await toNextPage(page, () => page.getByRole('button', { name: `End sessions of ${email}` }).click());
    expect(pathOf(page)).toBe('/admin/users');
    await expect(page.getByRole('status')).toHaveText(`Ended 1 session of ${email}: they are signed out everywhere.`);
    await expect(row.getByTestId('admin-user-sessions')).toHaveText('0');

    await customer.goto('/account');
    expect(pathOf(customer)).toBe('/login');
  });
});
