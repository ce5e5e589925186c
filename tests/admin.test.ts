import request from 'supertest';
import { Product } from '../src/models/Product';
import { createUser, loggedInAdmin, loggedInAgent } from './helpers/http';
import { tinyPng } from '../support/images';
import { cartOf, createProduct, postForm, postMultipart } from './helpers/shop';
import { useTestApp } from './helpers/testApp';

const testApp = useTestApp();
const app = () => testApp().app;

const validProduct = {
  title: 'Walnut Bowl',
  price: '42.50',
  description: 'Turned from a single piece of walnut.',
  category: 'kitchen',
  stock: '12',
};

describe('admin product management', () => {
  it('adds a product that appears in the shop and on the admin list, priced exactly', async () => {
    const { agent, user } = await loggedInAdmin(app());
    const response = await postMultipart(agent, '/admin/add-product', validProduct, {
      from: '/admin/add-product',
      files: [{ bytes: tinyPng(), filename: 'bowl.png' }],
    });
    expect(response.headers.location).toBe('/admin/products');

    const product = await Product.findOne({ title: 'Walnut Bowl' });
    expect(product?.priceCents).toBe(4250);
    expect(product?.stock).toBe(12);
    expect(product?.userId.equals(user._id)).toBe(true);
    expect((await agent.get('/admin/products')).text).toContain('Walnut Bowl');
    expect((await request(app()).get(`/products/${product?.id}`)).text).toContain('$42.50');
  });

  it('lists every product, with who added it and who changed it last', async () => {
    const alice = await loggedInAdmin(app());
    const bob = await loggedInAdmin(app());
    const lamp = await createProduct(alice.user, { title: 'Alice Lamp' });
    await createProduct(bob.user, { title: 'Bob Chair' });
    await postForm(
      bob.agent,
      '/admin/edit-product',
      { ...validProduct, productId: lamp.id, title: 'Alice Lamp, rewired' },
      `/admin/edit-product/${lamp.id}`,
    );

    // The page's text, as a reader sees it (the addresses sit in their own elements).
    const page = (await alice.agent.get('/admin/products')).text.replace(/<[^>]+>/g, '');
    expect(page).toContain('Bob Chair');
    expect(page).toMatch(
      new RegExp(`Alice Lamp, rewired[\\s\\S]*Added by ${alice.email}[\\s\\S]*last changed by ${bob.email}`),
    );
  });

  it.each([
    ['a short title', { title: 'ab' }, 'title', 'The title needs 3 to 100 characters.'],
    ['a negative price', { price: '-3' }, 'price', 'Enter a price such as 12.50'],
    ['three decimals', { price: '1.999' }, 'price', 'Enter a price such as 12.50'],
    ['a zero price', { price: '0.00' }, 'price', 'Enter a price such as 12.50'],
    [
      'an image address instead of an uploaded file',
      { imageUrl: 'https://images.example/bowl.jpg' },
      'image',
      'Choose a JPEG, PNG or WebP image of at most 2 MB.',
    ],
    ['a short description', { description: 'tiny' }, 'description', 'The description needs 5 to 1000 characters.'],
    ['no stock', { stock: '' }, 'stock', 'Enter the stock as a whole number from 0 to 100,000.'],
    ['a negative stock', { stock: '-1' }, 'stock', 'whole number from 0 to 100,000'],
    ['a fractional stock', { stock: '2.5' }, 'stock', 'whole number from 0 to 100,000'],
    ['a stock over 100,000', { stock: '100001' }, 'stock', 'whole number from 0 to 100,000'],
    ['a stock that is not a number', { stock: 'lots' }, 'stock', 'whole number from 0 to 100,000'],
    ['a description over 1000 characters', { description: 'x'.repeat(1001) }, 'description', '5 to 1000'],
  ])('refuses %s with 422, the error next to its field, and the values kept', async (_, override, field, message) => {
    const { agent } = await loggedInAdmin(app());
    const fields = { ...validProduct, title: `Kept Title ${field}`, ...override };
    const response = await postForm(agent, '/admin/add-product', fields, '/admin/add-product');

    expect(response.status).toBe(422);
    expect(response.text).toMatch(
      new RegExp(`id="${field}-error">[^<]*${message.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`),
    );
    expect(response.text).toContain(`value="${fields.title}"`);
    expect(await Product.countDocuments({ title: fields.title })).toBe(0);
  });

  it('lets any admin edit any product, with the form filled in', async () => {
    const { agent } = await loggedInAdmin(app());
    const product = await createProduct(await createUser(), { title: 'Old Title', priceCents: 1000 });
    const form = await agent.get(`/admin/edit-product/${product.id}`);
    expect(form.text).toContain('value="Old Title"');
    expect(form.text).toContain('value="10.00"');

    const response = await postForm(
      agent,
      '/admin/edit-product',
      { ...validProduct, productId: product.id, title: 'New Title', price: '11' },
      `/admin/edit-product/${product.id}`,
    );
    expect(response.headers.location).toBe('/admin/products');
    const saved = await Product.findById(product._id);
    expect(saved?.title).toBe('New Title');
    expect(saved?.priceCents).toBe(1100);
  });

  it.each(['/admin/products', '/admin/add-product'])(
    'answers a customer 403 on %s, with a friendly page',
    async (path) => {
      const customer = await loggedInAgent(app());
      const response = await customer.agent.get(path);
      expect(response.status).toBe(403);
      expect(response.text).toContain('for its staff only');
      expect(response.text).not.toContain('href="/admin/products"');
    },
  );

  it('refuses with 403 to let a customer add, edit or delete a product, changing nothing', async () => {
    const customer = await loggedInAgent(app());
    const product = await createProduct(await createUser(), { title: 'Not Yours' });

    expect((await customer.agent.get(`/admin/edit-product/${product.id}`)).status).toBe(403);
    const fields = { ...validProduct, productId: product.id, title: 'Hijacked' };
    expect((await postForm(customer.agent, '/admin/edit-product', fields, '/products')).status).toBe(403);
    expect((await postForm(customer.agent, '/admin/add-product', fields, '/products')).status).toBe(403);
    const remove = await postForm(customer.agent, '/admin/delete-product', { productId: product.id }, '/products');
    expect(remove.status).toBe(403);

    expect((await Product.findById(product._id))?.title).toBe('Not Yours');
    expect(await Product.countDocuments({ title: 'Hijacked' })).toBe(0);
  });

  it('shows the Admin link to admins only', async () => {
    expect((await (await loggedInAdmin(app())).agent.get('/')).text).toContain('href="/admin/products"');
    expect((await (await loggedInAgent(app())).agent.get('/')).text).not.toContain('href="/admin/products"');
  });

  it('deletes a product and takes it out of every cart', async () => {
    const owner = await loggedInAdmin(app());
    const shopper = await loggedInAgent(app());
    const doomed = await createProduct(owner.user, { title: 'Doomed' });
    const kept = await createProduct(owner.user, { title: 'Kept' });
    await shopper.user.mergeCart([
      { productId: doomed._id, quantity: 2 },
      { productId: kept._id, quantity: 1 },
    ]);

    const response = await postForm(owner.agent, '/admin/delete-product', { productId: doomed.id }, '/admin/products');

    expect(response.headers.location).toBe('/admin/products');
    expect(await Product.findById(doomed._id)).toBeNull();
    expect(await cartOf(shopper.user._id)).toEqual([{ productId: kept.id, quantity: 1 }]);
  });

  it.each(['/admin/products', '/admin/add-product', '/orders', '/checkout'])(
    'sends anonymous visitors from %s to the login page',
    async (path) => {
      const response = await request(app()).get(path);
      expect(response.status).toBe(302);
      expect(response.headers.location).toBe('/login');
    },
  );

  it.each(['not-an-id', '507f1f77bcf86cd799439011'])('answers 404 for the edit page of %s', async (id) => {
    const { agent } = await loggedInAdmin(app());
    expect((await agent.get(`/admin/edit-product/${id}`)).status).toBe(404);
  });
});
