import { Product } from '../src/models/Product';
import { User } from '../src/models/User';
import { DEMO_ADMIN, DEMO_USER, seedDemoData } from '../src/seed/demoData';
import { logIn } from './helpers/http';
import request from 'supertest';
import { useTestApp } from './helpers/testApp';

const testApp = useTestApp();

it('seeds a demo customer, a demo admin and a dozen products with local images, once', async () => {
  expect(await seedDemoData(4)).toBe(12);
  expect(await seedDemoData(4)).toBe(0);

  expect(await Product.countDocuments()).toBe(12);
  expect(await User.countDocuments({ email: DEMO_USER.email })).toBe(1);
  const images = await Product.distinct('imageUrl');
  expect(images.every((url) => /^\/images\/\w+\.svg$/.test(url))).toBe(true);
  for (const url of images) {
    await request(testApp().app).get(url).expect(200).expect('Content-Type', /svg/);
  }
  const login = await logIn(request.agent(testApp().app), DEMO_USER.email, DEMO_USER.password);
  expect(login.headers.location).toBe('/');
  expect((await User.findOne({ email: DEMO_USER.email }))?.role).toBe('customer');

  const admin = request.agent(testApp().app);
  await logIn(admin, DEMO_ADMIN.email, DEMO_ADMIN.password);
  expect((await admin.get('/admin/products')).status).toBe(200);
  expect(await Product.countDocuments({ userId: (await User.findOne({ email: DEMO_ADMIN.email }))?._id })).toBe(12);
});
