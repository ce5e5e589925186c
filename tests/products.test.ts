import request from 'supertest';
import { Product } from '../src/models/Product';
import { createUser, loggedInAdmin } from './helpers/http';
import { createProduct, postForm } from './helpers/shop';
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

describe('finding products', () => {
  // A catalogue of its own, on the same database: searches below match only these.
  beforeAll(async () => {
    const owner = await createUser();
    const add = (title: string, description: string, category: string, day: number) =>
      createProduct(owner, { title, description, category, createdAt: new Date(2026, 1, day) });
    await add('Crème Brûlée Dish', 'A shallow porcelain ramekin for desserts.', 'kitchen', 1);
    await add('Porcelain Teacup', 'Fine porcelain with a gold rim.', 'kitchen', 2);
    await add('Porcelain Vase', 'A tall porcelain vase for a single stem.', 'home', 3);
    await add('Garden Trowel', 'Forged steel with an ash handle (porcelain-free).', 'garden', 4);
    for (let day = 5; day <= 8; day += 1)
      await add(`Stoneware Bowl ${day}`, 'Stoneware for porcelain lovers.', 'kitchen', day);
  });

  const titlesOf = (html: string) => [...html.matchAll(/product-title">([^<]+)/g)].map((m) => m[1]);

  it('searches titles and descriptions, whatever the case, accents or word endings', async () => {
    expect(titlesOf((await request(app()).get('/products?q=CREME%20brulee')).text)).toEqual(['Crème Brûlée Dish']);
    // "teac" is the start of a word; "gold" is in a description.
    expect(titlesOf((await request(app()).get('/products?q=teac')).text)).toEqual(['Porcelain Teacup']);
    expect(titlesOf((await request(app()).get('/products?q=gold')).text)).toEqual(['Porcelain Teacup']);
  });

  it('narrows by category, and combines it with a search and with pages whose links keep both', async () => {
    const kitchen = await request(app()).get('/products?category=kitchen&q=porcelain');
    // Newest first, three a page: four stoneware bowls and two porcelain pieces match.
    expect(titlesOf(kitchen.text)).toEqual(['Stoneware Bowl 8', 'Stoneware Bowl 7', 'Stoneware Bowl 6']);
    expect(kitchen.text).toContain('href="/products?q=porcelain&amp;category=kitchen&amp;page=2"');
    const second = await request(app()).get('/products?q=porcelain&category=kitchen&page=2');
    expect(titlesOf(second.text)).toEqual(['Stoneware Bowl 5', 'Porcelain Teacup', 'Crème Brûlée Dish']);
    expect(titlesOf((await request(app()).get('/products?category=home')).text)).toEqual(['Porcelain Vase']);
  });

  it('says when nothing matches, with a way back to every product', async () => {
    const page = await request(app()).get('/products?q=unicorn&category=garden');
    expect(page.status).toBe(200);
    expect(page.text).toMatch(/No products match “unicorn” in Garden\.\s*<a href="\/products">Show all products<\/a>/);
  });

  it.each([
    ['an operator', '?q[$ne]=porcelain', 200],
    ['a repeated key', '?q=a&q=b', 400],
    ['an over-long search', `?q=${'a'.repeat(101)}`, 400],
    ['an unknown category', '?category=weapons', 404],
    ['an operator for a category', '?category[$ne]=kitchen', 200],
  ])('answers %s safely, matching nothing it should not', async (_, query, status) => {
    const page = await request(app()).get(`/products${query}`);
    expect(page.status).toBe(status);
    if (status !== 200) return;
    // Express's simple query parser reads "q[$ne]" as a key of its own, which the listing ignores:
    // the page is the plain first page, a full one, neither filtered nor emptied by the operator.
    const plain = titlesOf((await request(app()).get('/products')).text);
    expect(plain).toHaveLength(3);
    expect(titlesOf(page.text)).toEqual(plain);
  });

  it('treats regular-expression characters as text: ".*" matches nothing, "(a+)+$" only the word "a"', async () => {
    expect((await request(app()).get('/products?q=.*')).text).toContain('No products match “.*”');
    const pattern = await request(app()).get(`/products?q=${encodeURIComponent('(a+)+$')}`);
    expect(titlesOf(pattern.text)).toEqual(titlesOf((await request(app()).get('/products?q=a')).text));
  });

  it('offers the category on the product form and refuses one that is not on the list', async () => {
    const { agent } = await loggedInAdmin(app());
    const form = await agent.get('/admin/add-product');
    expect(form.text).toMatch(/<option value="garden">Garden<\/option>/);
    const fields = {
      title: 'Odd Thing',
      price: '5',
      description: 'Odd.',
      category: 'weapons',
    };
    const refused = await postForm(
      agent,
      '/admin/add-product',
      { ...fields, description: 'An odd thing.' },
      '/admin/add-product',
    );
    expect(refused.status).toBe(422);
    expect(refused.text).toContain('Choose one of the categories.');
  });
});

describe('the shop front', () => {
  it('speaks to customers: what the shop sells, its categories, new arrivals, a footer and a favicon', async () => {
    const home = await request(app()).get('/');
    expect(home.text).toContain('Small things, well made');
    expect(home.text).not.toMatch(/MongoDB|session/i);
    expect(home.text).toContain('href="/products?category=kitchen"');
    expect(home.text).toContain('New arrivals');
    expect(home.text).toMatch(/<footer[\s\S]*href="\/reset"[\s\S]*<\/footer>/);
    expect(home.text).toContain('<link rel="icon" href="/favicon.svg"');
    await request(app()).get('/favicon.svg').expect(200).expect('Content-Type', /svg/);
  });
});
