import request from 'supertest';
import { Product } from '../src/models/Product';
import { createUser } from './helpers/http';
import { createProduct } from './helpers/shop';
import { useTestApp } from './helpers/testApp';

// Three per page, so that seven products make three pages.
const testApp = useTestApp({ PRODUCTS_PER_PAGE: '3' });
const app = () => testApp().app;

beforeAll(async () => {
  const owner = await createUser();
  for (let n = 1; n <= 7; n += 1) {
    await createProduct(owner, { title: `Catalog Item ${n}`, priceCents: n * 100, createdAt: new Date(2026, 0, n) });
  }
});

describe('browsing the shop', () => {
  it('shows the newest products first, a page at a time, with numbered and next links', async () => {
    const page = await request(app()).get('/products');
    expect(page.status).toBe(200);
    const titles = [...page.text.matchAll(/product-title">([^<]+)/g)].map((m) => m[1]);
    expect(titles).toEqual(['Catalog Item 7', 'Catalog Item 6', 'Catalog Item 5']);
    expect(page.text).toContain('href="/products?page=2"');
    expect(page.text).toContain('href="/products?page=3"');
    expect(page.text).toContain('rel="next"');
    expect(page.text).not.toContain('rel="prev"');
  });

  it('shows the last page with a previous link', async () => {
    const page = await request(app()).get('/products?page=3');
    const titles = [...page.text.matchAll(/product-title">([^<]+)/g)].map((m) => m[1]);
    expect(titles).toEqual(['Catalog Item 1']);
    expect(page.text).toContain('rel="prev"');
    expect(page.text).not.toContain('rel="next"');
  });

  it.each([
    ['page 0', '?page=0', '/products'],
    ['a non-numeric page', '?page=abc', '/products'],
    ['a repeated page key', '?page=1&page=2', '/products'],
    ['a page past the end', '?page=99', '/products?page=3'],
  ])('redirects %s to a page that exists', async (_, query, location) => {
    const response = await request(app()).get(`/products${query}`);
    expect(response.status).toBe(302);
    expect(response.headers.location).toBe(location);
  });

  it('ignores an operator in the query: ?page[$gt]=1 is just page 1', async () => {
    const page = await request(app()).get('/products?page[$gt]=1');
    expect(page.status).toBe(200);
    expect(page.text).toContain('Catalog Item 7');
  });

  it('shows a product page with its price formatted as currency', async () => {
    const product = await Product.findOne({ title: 'Catalog Item 4' });
    const page = await request(app()).get(`/products/${product?.id}`);
    expect(page.status).toBe(200);
    expect(page.text).toContain('<h1>Catalog Item 4</h1>');
    expect(page.text).toContain('$4.00');
  });

  it.each(['not-an-id', '507f1f77bcf86cd799439011', '%24ne'])('answers 404 for product id %s', async (id) => {
    expect((await request(app()).get(`/products/${id}`)).status).toBe(404);
  });

  it('escapes what owners typed', async () => {
    const owner = await createUser();
    const product = await createProduct(owner, { title: '<script>alert(1)</script>' });
    const page = await request(app()).get(`/products/${product.id}`);
    expect(page.text).not.toContain('<script>alert(1)</script>');
    expect(page.text).toContain('&lt;script&gt;');
  });
});
