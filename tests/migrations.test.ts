import { Types } from 'mongoose';
import { Order } from '../src/models/Order';
import { Product } from '../src/models/Product';
import { dropReplacedIndexes, indexProductsForSearch } from '../src/models/migrations';
import { useTestDatabase } from './helpers/testApp';

useTestDatabase();

it('drops the indexes an earlier version made, once', async () => {
  // What a database written by the earlier version holds (and where the new index could not be built).
  await Order.collection.dropIndex('one_order_per_cart_version');
  await Order.collection.createIndex({ userId: 1, cartVersion: 1 }, { unique: true });
  await Product.collection.createIndex({ userId: 1, createdAt: -1 });

  expect((await dropReplacedIndexes()).sort()).toEqual([
    'orders.userId_1_cartVersion_1',
    'products.userId_1_createdAt_-1',
  ]);
  expect(await dropReplacedIndexes()).toEqual([]);
  const names = (await Order.collection.indexes()).map((index) => index.name);
  expect(names).toContain('one_order_per_cart_version');
  expect(names).not.toContain('userId_1_cartVersion_1');
});

it('gives products stored before search existed their search terms, once', async () => {
  const { insertedId } = await Product.collection.insertOne({
    title: 'Old Lantern',
    description: 'From before search.',
    priceCents: 100,
    imageUrl: '/images/lamp.svg',
    userId: new Types.ObjectId(),
  });
  expect(await indexProductsForSearch()).toBe(1);
  expect(await indexProductsForSearch()).toBe(0);
  expect(await Product.countDocuments({ _id: insertedId, searchTerms: 'lantern' })).toBe(1);
});
