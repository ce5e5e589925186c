import mongoose from 'mongoose';
import request from 'supertest';
import { imageTypeOf } from '../src/lib/imageType';
import { Product } from '../src/models/Product';
import { storeImage, sweepUnusedImages } from '../src/services/images';
import { editProduct } from '../src/services/products';
import { tinyGif, tinyJpeg, tinyPng, tinyWebp } from '../support/images';
import { loggedInAdmin, loggedInAgent } from './helpers/http';
import { createProduct, postForm, postMultipart, someProduct, type Upload } from './helpers/shop';
import { useTestApp } from './helpers/testApp';

const testApp = useTestApp();
const app = () => testApp().app;

const MB = 1024 * 1024;
const fields = {
  title: 'Glazed Cup',
  price: '18.00',
  description: 'Thrown on the wheel, glazed in blue.',
  category: 'kitchen',
  stock: '5',
};
const png = (bytes = tinyPng()): Upload => ({ bytes, filename: 'cup.png', contentType: 'image/png' });

/** How many files GridFS holds, and how many chunks: nothing may be left behind by a refusal. */
async function storedFiles() {
  const db = mongoose.connection.db!;
  const [files, chunks] = await Promise.all([
    db.collection('images.files').countDocuments(),
    db.collection('images.chunks').countDocuments(),
  ]);
  return { files, chunks };
}

async function addProduct(agent: Parameters<typeof postMultipart>[0], upload: Upload, title = fields.title) {
  const response = await postMultipart(
    agent,
    '/admin/add-product',
    { ...fields, title },
    {
      from: '/admin/add-product',
      files: [upload],
    },
  );
  expect(response.status).toBe(302);
  const product = await Product.findOne({ title });
  if (!product) throw new Error('the product was not added');
  return product;
}

describe('uploading a product image', () => {
  it.each([
    ['a PNG', png(), 'image/png'],
    ['a JPEG', { bytes: tinyJpeg(), filename: 'cup.jpg', contentType: 'image/jpeg' }, 'image/jpeg'],
    ['a WebP', { bytes: tinyWebp(), filename: 'cup.webp', contentType: 'image/webp' }, 'image/webp'],
  ])('stores %s in the database and serves it back, cached for a year', async (kind, upload, type) => {
    const { agent } = await loggedInAdmin(app());
    const product = await addProduct(agent, upload, `Cup as ${kind}`);
    expect(product.imageUrl).toMatch(/^\/images\/uploads\/[0-9a-f]{24}$/);
    expect((await request(app()).get(`/products/${product.id}`)).text).toContain(`src="${product.imageUrl}"`);

    const image = await request(app()).get(product.imageUrl).buffer(true);
    expect(image.status).toBe(200);
    expect(image.headers['content-type']).toBe(type);
    expect(image.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(image.headers['x-content-type-options']).toBe('nosniff');
    expect(image.headers['set-cookie']).toBeUndefined();
    expect(Buffer.compare(image.body as Buffer, upload.bytes)).toBe(0);
    const etag = image.headers.etag;
    expect(etag).toMatch(/^"[0-9a-f]{24}"$/);

    const again = await request(app()).get(product.imageUrl).set('If-None-Match', etag!);
    expect(again.status).toBe(304);
    expect(again.headers.etag).toBe(etag);
    expect(again.headers['content-length']).toBeUndefined();
  });

  it('takes a file of exactly 2 MB and refuses one byte more with 422 on the image field, storing nothing', async () => {
    const { agent } = await loggedInAdmin(app());
    const header = tinyPng();
    const ofSize = (size: number) => Buffer.concat([header, Buffer.alloc(size - header.length, 1)]);
    const before = await storedFiles();

    const tooLarge = await postMultipart(
      agent,
      '/admin/add-product',
      { ...fields, title: 'Huge Cup' },
      {
        from: '/admin/add-product',
        files: [png(ofSize(2 * MB + 1))],
      },
    );
    expect(tooLarge.status).toBe(422);
    expect(tooLarge.text).toMatch(/id="image-error">That file is larger than 2 MB/);
    expect(tooLarge.text).toContain('value="Huge Cup"');
    expect(tooLarge.text).toContain('Thrown on the wheel, glazed in blue.</textarea>');
    expect(await storedFiles()).toEqual(before);
    expect(await Product.countDocuments({ title: 'Huge Cup' })).toBe(0);

    const product = await addProduct(agent, png(ofSize(2 * MB)), 'Largest Cup');
    const served = await request(app()).get(product.imageUrl).buffer(true);
    expect((served.body as Buffer).length).toBe(2 * MB);
  });

  it.each([
    [
      'a text file renamed .png',
      { bytes: Buffer.from('just some words, not a picture\n'), filename: 'cup.png', contentType: 'image/png' },
      'not an image the shop takes',
    ],
    ['a GIF', { bytes: tinyGif(), filename: 'cup.gif', contentType: 'image/gif' }, 'not an image the shop takes'],
    [
      'an SVG named .png',
      {
        bytes: Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'),
        filename: 'x.png',
        contentType: 'image/png',
      },
      'not an image the shop takes',
    ],
    ['a PNG in another file field', { ...png(), field: 'photo' }, 'one file only, in its image field'],
  ])(
    'refuses %s with 422, the message on the image field, the values kept, no file stored',
    async (_, upload, message) => {
      const { agent } = await loggedInAdmin(app());
      const before = await storedFiles();
      const response = await postMultipart(
        agent,
        '/admin/add-product',
        { ...fields, title: 'Kept Cup' },
        {
          from: '/admin/add-product',
          files: [upload],
        },
      );
      expect(response.status).toBe(422);
      expect(response.text).toMatch(new RegExp(`id="image-error">[^<]*${message}`));
      expect(response.text).toContain('value="Kept Cup"');
      expect(response.text).toContain('Thrown on the wheel, glazed in blue.</textarea>');
      expect(response.text).toMatch(/<option value="kitchen" selected>/);
      expect(await storedFiles()).toEqual(before);
      expect(await Product.countDocuments({ title: 'Kept Cup' })).toBe(0);
    },
  );

  it('refuses two files, or no file, for a new product with 422', async () => {
    const { agent } = await loggedInAdmin(app());
    const before = await storedFiles();
    const two = await postMultipart(agent, '/admin/add-product', fields, {
      from: '/admin/add-product',
      files: [png(), png()],
    });
    expect(two.status).toBe(422);
    expect(two.text).toMatch(/id="image-error">Choose one image only/);
    const none = await postMultipart(agent, '/admin/add-product', fields, { from: '/admin/add-product' });
    expect(none.status).toBe(422);
    expect(none.text).toMatch(/id="image-error">Choose a JPEG, PNG or WebP image of at most 2 MB/);
    expect(await storedFiles()).toEqual(before);
  });

  it('keeps no image sent with an invalid form, and asks for it again', async () => {
    const { agent } = await loggedInAdmin(app());
    const before = await storedFiles();
    const response = await postMultipart(
      agent,
      '/admin/add-product',
      { ...fields, price: 'free' },
      {
        from: '/admin/add-product',
        files: [png()],
      },
    );
    expect(response.status).toBe(422);
    expect(response.text).toMatch(/id="price-error">/);
    expect(response.text).toMatch(/id="image-error">Choose the image again/);
    expect(await storedFiles()).toEqual(before);
  });

  it('refuses a form with more fields than any form has with 413, storing nothing', async () => {
    const { agent } = await loggedInAdmin(app());
    const before = await storedFiles();
    const padding = Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`extra${i}`, 'x']));
    const response = await postMultipart(
      agent,
      '/admin/add-product',
      { ...fields, ...padding },
      {
        from: '/admin/add-product',
        files: [png()],
      },
    );
    expect(response.status).toBe(413);
    expect(await storedFiles()).toEqual(before);
  });

  it.each([
    ['no token', ''],
    ['a wrong token', 'not-the-token'],
  ])('refuses a multipart form with %s with 403, storing neither file nor product', async (_, token) => {
    const { agent } = await loggedInAdmin(app());
    const product = await someProduct({ title: 'Untouched' });
    const before = await storedFiles();
    const add = await postMultipart(
      agent,
      '/admin/add-product',
      { ...fields, title: 'Forged Cup' },
      {
        token,
        files: [png()],
      },
    );
    expect(add.status).toBe(403);
    const edit = await postMultipart(
      agent,
      '/admin/edit-product',
      { ...fields, productId: product.id },
      {
        token,
        files: [png()],
      },
    );
    expect(edit.status).toBe(403);
    expect(await storedFiles()).toEqual(before);
    expect(await Product.countDocuments({ title: 'Forged Cup' })).toBe(0);
    expect((await Product.findById(product._id))?.imageUrl).toBe('/images/mug.svg');
  });

  it('reads no upload from a visitor or a customer: login page or 403, nothing stored', async () => {
    const before = await storedFiles();
    const anonymous = await request(app())
      .post('/admin/add-product')
      .field('title', 'Anonymous Cup')
      .attach('image', tinyPng(), 'cup.png');
    expect(anonymous.status).toBe(302);
    expect(anonymous.headers.location).toMatch(/^\/login/);
    const customer = await loggedInAgent(app());
    const refused = await postMultipart(
      customer.agent,
      '/admin/add-product',
      { ...fields, title: 'Customer Cup' },
      {
        files: [png()],
      },
    );
    expect(refused.status).toBe(403);
    expect(await storedFiles()).toEqual(before);
    expect(await Product.countDocuments({ title: 'Anonymous Cup' })).toBe(0);
    expect(await Product.countDocuments({ title: 'Customer Cup' })).toBe(0);
  });

  it('keeps the CSRF check of every other form: a multipart post without a token elsewhere is 403', async () => {
    const { agent } = await loggedInAdmin(app());
    const product = await someProduct();
    const response = await agent.post('/admin/delete-product').field('productId', product.id);
    expect(response.status).toBe(403);
    expect(await Product.exists({ _id: product._id })).toBeTruthy();
  });

  it('still checks the token of a product form sent urlencoded', async () => {
    const { agent } = await loggedInAdmin(app());
    const response = await agent
      .post('/admin/add-product')
      .type('form')
      .send({ ...fields, _csrf: 'forged' });
    expect(response.status).toBe(403);
  });
});

describe('replacing and deleting an image', () => {
  it('replaces the image: the product shows the new one, the old file is deleted', async () => {
    const { agent } = await loggedInAdmin(app());
    const product = await addProduct(agent, png(), 'Replaced Cup');
    const oldUrl = product.imageUrl;
    const before = await storedFiles();

    const response = await postMultipart(
      agent,
      '/admin/edit-product',
      { ...fields, title: 'Replaced Cup', productId: product.id },
      {
        from: `/admin/edit-product/${product.id}`,
        files: [{ bytes: tinyWebp(), filename: 'new.webp' }],
      },
    );
    expect(response.status).toBe(302);
    const saved = await Product.findById(product._id);
    expect(saved?.imageUrl).not.toBe(oldUrl);
    expect((await request(app()).get(saved!.imageUrl)).headers['content-type']).toBe('image/webp');
    expect((await request(app()).get(oldUrl)).status).toBe(404);
    expect(await storedFiles()).toEqual(before);
  });

  it('keeps the image when an edit sends none, and shows it on the form', async () => {
    const { agent } = await loggedInAdmin(app());
    const product = await addProduct(agent, png(), 'Kept Image Cup');
    const form = await agent.get(`/admin/edit-product/${product.id}`);
    expect(form.text).toContain('enctype="multipart/form-data"');
    expect(form.text).toContain(`src="${product.imageUrl}"`);
    const response = await postMultipart(
      agent,
      '/admin/edit-product',
      { ...fields, title: 'Renamed Cup', productId: product.id },
      {
        from: `/admin/edit-product/${product.id}`,
      },
    );
    expect(response.status).toBe(302);
    const saved = await Product.findById(product._id);
    expect(saved?.title).toBe('Renamed Cup');
    expect(saved?.imageUrl).toBe(product.imageUrl);
    expect((await request(app()).get(product.imageUrl)).status).toBe(200);
  });

  it('leaves exactly one file, the one the product shows, when admins replace an image at the same time', async () => {
    const admins = await Promise.all([1, 2, 3, 4].map(() => loggedInAdmin(app())));
    const product = await addProduct(admins[0]!.agent, png(), 'Raced Cup');
    const before = await storedFiles();
    const forms = await Promise.all(
      admins.map(({ agent }) => agent.get(`/admin/edit-product/${product.id}`).then((page) => page.text)),
    );
    const responses = await Promise.all(
      admins.map(({ agent }, i) =>
        postMultipart(
          agent,
          '/admin/edit-product',
          { ...fields, title: 'Raced Cup', productId: product.id },
          {
            token: /name="_csrf" value="([^"]+)"/.exec(forms[i]!)![1],
            files: [png(tinyPng(i + 2, i + 2))],
          },
        ),
      ),
    );
    const statuses = responses.map((response) => response.status);
    expect(statuses.every((status) => status === 302 || status === 409)).toBe(true);
    // One wins; those that read the product before its save lose the race (409) and delete their file.
    expect(statuses).toContain(302);
    expect(statuses).toContain(409);
    const saved = await Product.findById(product._id);
    expect((await request(app()).get(saved!.imageUrl)).status).toBe(200);
    expect(await storedFiles()).toEqual(before);
  });

  it.each([
    ['with a new image', true],
    ['without one', false],
  ])('refuses with 409 an edit (%s) of a product deleted meanwhile, keeping no new file', async (_, withImage) => {
    const product = await someProduct({ title: 'Vanished Cup' });
    const stale = (await Product.findById(product._id))!;
    await Product.deleteOne({ _id: product._id });
    const before = await storedFiles();
    const image = withImage ? { bytes: tinyPng(), contentType: 'image/png' as const } : undefined;
    const edit = editProduct(stale, { title: 'Edited Cup', priceCents: 100, description: 'An edit.' }, image);
    await expect(edit).rejects.toMatchObject({ status: 409 });
    expect(await storedFiles()).toEqual(before);
  });

  it('deletes the image file with its product', async () => {
    const { agent } = await loggedInAdmin(app());
    const product = await addProduct(agent, png(), 'Doomed Cup');
    const before = await storedFiles();
    const response = await postForm(agent, '/admin/delete-product', { productId: product.id }, '/admin/products');
    expect(response.status).toBe(302);
    expect((await request(app()).get(product.imageUrl)).status).toBe(404);
    expect(await storedFiles()).toEqual({ files: before.files - 1, chunks: before.chunks - 1 });
  });

  it('deletes the stored image again when the product cannot be saved after it', async () => {
    const { agent } = await loggedInAdmin(app());
    const before = await storedFiles();
    const failure = Object.assign(new Error('the database refused the write'), { status: 503 });
    const create = jest.spyOn(Product, 'create').mockRejectedValueOnce(failure);
    try {
      const response = await postMultipart(
        agent,
        '/admin/add-product',
        { ...fields, title: 'Unsaved Cup' },
        {
          from: '/admin/add-product',
          files: [png()],
        },
      );
      expect(response.status).toBe(503);
    } finally {
      create.mockRestore();
    }
    expect(await storedFiles()).toEqual(before);
  });

  it('keeps the old image and deletes the new one when saving the edit fails', async () => {
    const { agent } = await loggedInAdmin(app());
    const product = await addProduct(agent, png(), 'Unchanged Cup');
    const before = await storedFiles();
    const failure = Object.assign(new Error('the database refused the write'), { status: 503 });
    const save = jest.spyOn(Product.prototype, 'save').mockRejectedValueOnce(failure);
    try {
      const response = await postMultipart(
        agent,
        '/admin/edit-product',
        { ...fields, productId: product.id },
        {
          from: `/admin/edit-product/${product.id}`,
          files: [png(tinyPng(5, 5))],
        },
      );
      expect(response.status).toBe(503);
    } finally {
      save.mockRestore();
    }
    expect((await Product.findById(product._id))?.imageUrl).toBe(product.imageUrl);
    expect((await request(app()).get(product.imageUrl)).status).toBe(200);
    expect(await storedFiles()).toEqual(before);
  });

  it('sweeps images no product shows once they are an hour old, and keeps the rest', async () => {
    const { agent } = await loggedInAdmin(app());
    const shown = await addProduct(agent, png(), 'Shown Cup');
    const orphan = await storeImage({ bytes: tinyPng(), contentType: 'image/png' });
    expect(await sweepUnusedImages()).toBe(0);
    expect(await sweepUnusedImages(-60_000)).toBe(1);
    expect((await request(app()).get(`/images/uploads/${orphan.toHexString()}`)).status).toBe(404);
    expect((await request(app()).get(shown.imageUrl)).status).toBe(200);
  });
});

describe('serving images', () => {
  it.each([
    ['a malformed id', '/images/uploads/not-an-id'],
    ['an id with an operator', '/images/uploads/%24gt'],
    ['an unknown id', `/images/uploads/${new mongoose.Types.ObjectId().toHexString()}`],
    ['an upper-case id', `/images/uploads/${new mongoose.Types.ObjectId().toHexString().toUpperCase()}`],
  ])('answers %s with 404', async (_, path) => {
    const response = await request(app()).get(path);
    expect(response.status).toBe(404);
  });

  it('still serves the demo images shipped under /images/', async () => {
    const response = await request(app()).get('/images/mug.svg');
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toMatch(/svg/);
  });

  it("allows images from the shop's own origin only (CSP img-src 'self')", async () => {
    const csp = (await request(app()).get('/')).headers['content-security-policy'];
    expect(csp).toMatch(/(^|;)img-src 'self'(;|$)/);
  });

  it('shows a placeholder for a product whose image is still an external address', async () => {
    const product = await createProduct((await loggedInAdmin(app())).user, {
      title: 'Old Remote Cup',
      imageUrl: 'https://images.example/cup.jpg',
    });
    const page = await request(app()).get(`/products/${product.id}`);
    expect(page.text).toContain('src="/images/placeholder.svg"');
    expect(page.text).not.toContain('images.example');
    expect((await request(app()).get('/images/placeholder.svg')).status).toBe(200);
  });
});

describe('recognising an image by its bytes', () => {
  it('knows PNG, JPEG and WebP by their signatures and nothing else', () => {
    expect(imageTypeOf(tinyPng())).toBe('image/png');
    expect(imageTypeOf(tinyJpeg())).toBe('image/jpeg');
    expect(imageTypeOf(tinyWebp())).toBe('image/webp');
    expect(imageTypeOf(tinyGif())).toBeUndefined();
    expect(imageTypeOf(Buffer.from('RIFF\0\0\0\0WAVEfmt '))).toBeUndefined();
    expect(imageTypeOf(Buffer.from([0x89, 0x50, 0x4e]))).toBeUndefined();
    expect(imageTypeOf(Buffer.alloc(0))).toBeUndefined();
  });
});
