import request from 'supertest';
import { Product } from '../src/models/Product';
import { loggedInAgent } from './helpers/http';
import { cartOf, createProduct, postForm } from './helpers/shop';
import { useTestApp } from './helpers/testApp';

const testApp = useTestApp();
const app = () => testApp().app;

const validProduct = {
  title: 'Walnut Bowl',
  price: '42.50',
  imageUrl: '/images/board.svg',
  description: 'Turned from a single piece of walnut.',
};

describe('admin product management', () => {
  it('adds a product that appears in the shop and on the owner’s list, priced exactly', async () => {
    const { agent, user } = await loggedInAgent(app());
    const response = await postForm(agent, '/admin/add-product', validProduct, '/admin/add-product');
    expect(response.headers.location).toBe('/admin/products');

    const product = await Product.findOne({ title: 'Walnut Bowl' });
    expect(product?.priceCents).toBe(4250);
    expect(product?.userId.equals(user._id)).toBe(true);
    expect((await agent.get('/admin/products')).text).toContain('Walnut Bowl');
    expect((await request(app()).get(`/products/${product?.id}`)).text).toContain('$42.50');
  });

  it('lists only the products this user created', async () => {
    const alice = await loggedInAgent(app());
    const bob = await loggedInAgent(app());
    await createProduct(alice.user, { title: 'Alice Lamp' });
    await createProduct(bob.user, { title: 'Bob Chair' });

    const page = (await alice.agent.get('/admin/products')).text;
    expect(page).toContain('Alice Lamp');
    expect(page).not.toContain('Bob Chair');
  });

  it.each([
    ['a short title', { title: 'ab' }, 'title', 'The title needs 3 to 100 characters.'],
    ['a negative price', { price: '-3' }, 'price', 'Enter a price such as 12.50'],
    ['three decimals', { price: '1.999' }, 'price', 'Enter a price such as 12.50'],
    ['a zero price', { price: '0.00' }, 'price', 'Enter a price such as 12.50'],
    [
      'an image that is neither a URL nor under /images/',
      { imageUrl: 'javascript:alert(1)' },
      'imageUrl',
      'Use a web address',
    ],
    ['a short description', { description: 'tiny' }, 'description', 'The description needs 5 to 1000 characters.'],
    ['a description over 1000 characters', { description: 'x'.repeat(1001) }, 'description', '5 to 1000'],
  ])('refuses %s with 422, the error next to its field, and the values kept', async (_, override, field, message) => {
    const { agent } = await loggedInAgent(app());
    const fields = { ...validProduct, title: `Kept Title ${field}`, ...override };
    const response = await postForm(agent, '/admin/add-product', fields, '/admin/add-product');

    expect(response.status).toBe(422);
    expect(response.text).toMatch(
      new RegExp(`id="${field}-error">[^<]*${message.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`),
    );
    expect(response.text).toContain(`value="${fields.title}"`);
    expect(await Product.countDocuments({ title: fields.title })).toBe(0);
  });

  it('lets the owner edit a product, with the form filled in', async () => {
    const { agent, user } = await loggedInAgent(app());
    const product = await createProduct(user, { title: 'Old Title', priceCents: 1000 });
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

  it('refuses with 403 to let anyone else edit or delete a product, changing nothing', async () => {
    const owner = await loggedInAgent(app());
    const other = await loggedInAgent(app());
    const product = await createProduct(owner.user, { title: 'Not Yours' });

    expect((await other.agent.get(`/admin/edit-product/${product.id}`)).status).toBe(403);
    const edit = await postForm(
      other.agent,
      '/admin/edit-product',
      { ...validProduct, productId: product.id, title: 'Hijacked' },
      '/admin/add-product',
    );
    expect(edit.status).toBe(403);
    const remove = await postForm(other.agent, '/admin/delete-product', { productId: product.id }, '/admin/products');
    expect(remove.status).toBe(403);

    const unchanged = await Product.findById(product._id);
    expect(unchanged?.title).toBe('Not Yours');
  });

  it('deletes a product and takes it out of every cart', async () => {
    const owner = await loggedInAgent(app());
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

  it.each(['/admin/products', '/admin/add-product', '/orders', '/cart'])(
    'sends anonymous visitors from %s to the login page',
    async (path) => {
      const response = await request(app()).get(path);
      expect(response.status).toBe(302);
      expect(response.headers.location).toBe('/login');
    },
  );

  it.each(['not-an-id', '507f1f77bcf86cd799439011'])('answers 404 for the edit page of %s', async (id) => {
    const { agent } = await loggedInAgent(app());
    expect((await agent.get(`/admin/edit-product/${id}`)).status).toBe(404);
  });
});
