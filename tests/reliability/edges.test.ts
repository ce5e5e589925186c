import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Product } from '../../src/models/Product';
import type { Role } from '../../src/models/User';
import { PASSWORD, createUser, uniqueEmail } from '../helpers/http';
import { cartOf, someProduct } from '../helpers/shop';
import { useTestApp } from '../helpers/testApp';
import { leaksIn } from './support/pages';
import { logIn } from '../../support/shopFlows';
import { WebClient } from '../../support/webClient';
import { tinyPng } from '../../support/images';

const testApp = useTestApp();
let server: http.Server;
let baseUrl: string;

beforeAll(async () => {
  // A real HTTP server: node's own limits (header size) apply only there.
  server = http.createServer(testApp().app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise((resolve) => server.close(resolve)));

async function loggedInClient(role: Role = 'customer') {
  const email = uniqueEmail();
  const user = await createUser(email, PASSWORD, 4, role);
  const client = new WebClient(baseUrl, { agent: false });
  await logIn(client, email);
  return { client, user };
}

const polluted = () =>
  ['polluted', 'isAdmin'].filter((key) => key in Object.prototype || ({} as Record<string, unknown>)[key]);

describe('limits at the edges', () => {
  it('refuses request headers over 16 KiB with 431', async () => {
    const page = await new WebClient(baseUrl, { agent: false }).get('/', { 'x-padding': 'a'.repeat(17 * 1024) });
    expect(page.status).toBe(431);
  });

  it('refuses a body over the limit and too many form fields with 413, and bad JSON with 400', async () => {
    const client = new WebClient(baseUrl, { agent: false });
    const big = await client.post('/login', { email: 'a@example.com', password: 'x'.repeat(150_000) });
    const fields = Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`field${i}`, 'x']));
    const many = await client.post('/login', fields);
    const json = await client.request('POST', '/login', {
      body: '{"email":',
      headers: { 'content-type': 'application/json' },
    });
    expect([big.status, many.status, json.status]).toEqual([413, 413, 400]);
    for (const page of [big, many, json]) expect(leaksIn(page.text)).toEqual([]);
  });

  it.each([
    ['text/plain', (token: string, id: string) => `_csrf=${token}&productId=${id}`],
    [
      'multipart/form-data; boundary=XyZ',
      (token: string, id: string) =>
        [`_csrf`, token, 'productId', id]
          .reduce<string[]>((parts, value, i, all) => {
            if (i % 2 === 0)
              parts.push(`--XyZ\r\nContent-Disposition: form-data; name="${value}"\r\n\r\n${all[i + 1]}\r\n`);
            return parts;
          }, [])
          .join('') + '--XyZ--\r\n',
    ],
  ])('refuses a form sent as %s with 403 and changes nothing', async (contentType, body) => {
    const { client, user } = await loggedInClient();
    const product = await someProduct();
    const response = await client.request('POST', '/cart', {
      body: body(client.csrfToken!, product.id as string),
      headers: { 'content-type': contentType },
    });
    expect(response.status).toBe(403);
    expect(await cartOf(user._id)).toEqual([]);
    const anonymous = await new WebClient(baseUrl, { agent: false }).request('POST', '/login', {
      body: body('x', 'y'),
      headers: { 'content-type': contentType },
    });
    expect([403, 422]).toContain(anonymous.status);
  });

  it('ignores __proto__ and constructor[prototype] keys in forms and JSON', async () => {
    const { client, user } = await loggedInClient();
    const product = await someProduct();
    const form = [
      `_csrf=${client.csrfToken}`,
      `productId=${product.id}`,
      '__proto__[polluted]=yes',
      '__proto__.isAdmin=true',
      'constructor[prototype][polluted]=yes',
      'constructor.prototype.isAdmin=true',
    ].join('&');
    const viaForm = await client.request('POST', '/cart', {
      body: form,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    const json = `{"_csrf":"${client.csrfToken}","productId":"${product.id}","__proto__":{"polluted":"yes","isAdmin":true},"constructor":{"prototype":{"polluted":"yes"}}}`;
    const viaJson = await client.request('POST', '/cart', {
      body: json,
      headers: { 'content-type': 'application/json' },
    });
    expect([viaForm.status, viaJson.status]).toEqual([302, 302]);
    expect(polluted()).toEqual([]);
    expect(await cartOf(user._id)).toEqual([{ productId: product.id, quantity: 2 }]);

    // The login form, where the values reach a query and a bcrypt comparison.
    const anonymous = new WebClient(baseUrl, { agent: false });
    await anonymous.refreshCsrf('/login');
    const login = await anonymous.request('POST', '/login', {
      body: `_csrf=${anonymous.csrfToken}&__proto__[email]=x&email[__proto__][$ne]=1&constructor[prototype][password]=x`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(login.status).toBe(422);
    expect(polluted()).toEqual([]);
  });
});

describe('unicode and long fields', () => {
  // 10 000 characters, half of them two bytes in UTF-8 (and six once URL-encoded): under the body limit.
  const long = 'ß'.repeat(5000) + 'a'.repeat(5000);

  it('refuses a 10 000-character signup email or password with 422, and takes a unicode email', async () => {
    const client = new WebClient(baseUrl, { agent: false });
    await client.refreshCsrf('/signup');
    const cases = [
      { email: `${long}@example.com`, password: PASSWORD, expected: 422 },
      { email: uniqueEmail(), password: `🔑${long}`, expected: 422 }, // over 64 characters
      { email: `a\u0000b@example.com`, password: PASSWORD, expected: 422 },
      { email: `ünï${Date.now()}@例子.广告`, password: `пароль ${PASSWORD}`, expected: 302 },
    ];
    for (const { expected, ...fields } of cases) {
      const page = await client.post('/signup', { ...fields, confirmPassword: fields.password });
      expect([fields.email.slice(0, 20), page.status]).toEqual([fields.email.slice(0, 20), expected]);
      expect(leaksIn(page.text)).toEqual([]);
    }
  });

  it('refuses a 10 000-character product title with 422 and stores a short unicode one as typed', async () => {
    const { client, user } = await loggedInClient('admin');
    const product = {
      price: '12.50',
      description: 'Handmade, ünïcödé 🍵',
      category: 'kitchen',
      stock: '5',
    };
    const image = [{ filename: 'tea.png', bytes: tinyPng() }];
    const tooLong = await client.postMultipart('/admin/add-product', { ...product, title: long }, image);
    expect(tooLong.status).toBe(422);
    expect(tooLong.text).toContain('title needs');

    const title = 'Tea ☕ مرحبا \u202Egnirts\u202C 𝔘𝔫𝔦𝔠𝔬𝔡𝔢';
    const created = await client.postMultipart('/admin/add-product', { ...product, title }, image);
    expect(created.status).toBe(302);
    expect((await Product.findOne({ userId: user._id }).lean())?.title).toBe(title);
    const listing = await client.get('/admin/products');
    expect(listing.status).toBe(200);
    expect(listing.text).toContain(title);
  });
});
