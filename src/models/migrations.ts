import { trusted, type Collection } from 'mongoose';
import { Order } from './Order';
import { Product } from './Product';
import { searchTermsOf } from './searchTerms';

/** Indexes an earlier version made that nothing uses any more (or that now get in the way). */
const REPLACED_INDEXES: Array<[{ collection: Collection; createIndexes(): Promise<unknown> }, string]> = [
  // Replaced by the sparse `one_order_per_cart_version`, which lets deleted accounts' orders be.
  [Order, 'userId_1_cartVersion_1'],
  // Products were listed per owner before admins managed every product.
  [Product, 'userId_1_createdAt_-1'],
];

/**
 * Drops the replaced indexes that exist and builds the model's current ones (an index with the
 * same keys but other options could not be built beside the old one); resolves to the names it
 * dropped. Run at start.
 */
export async function dropReplacedIndexes(): Promise<string[]> {
  const dropped: string[] = [];
  for (const [model, name] of REPLACED_INDEXES) {
    const indexes = await model.collection.indexes().catch(() => []);
    if (!indexes.some((index) => index.name === name)) continue;
    await model.collection.dropIndex(name);
    await model.createIndexes();
    dropped.push(`${model.collection.collectionName}.${name}`);
  }
  return dropped;
}

/** Gives products stored before search existed their search terms; resolves to how many. */
export async function indexProductsForSearch(): Promise<number> {
  const unindexed = await Product.find({ searchTerms: trusted({ $exists: false }) }).select('title description');
  for (const product of unindexed) {
    await Product.updateOne(
      { _id: product._id },
      { $set: { searchTerms: searchTermsOf(product.title, product.description) } },
    );
  }
  return unindexed.length;
}

/**
 * Gives products stored before stock existed a count of 0 ("Out of stock"): nobody has counted
 * them, and selling what the shop may not have is worse than an admin entering the count. Resolves
 * to how many it changed (server.ts logs them).
 */
export async function countStockOfOlderProducts(): Promise<number> {
  const result = await Product.updateMany({ stock: trusted({ $exists: false }) }, { $set: { stock: 0 } });
  return result.modifiedCount;
}

/**
 * Orders from before payments were `placed`: accepted, to be paid on delivery. They become `paid`
 * (the status from which an order ships or is cancelled), with a payment of provider `none`: there
 * is nothing to refund when one is cancelled. Their histories keep `placed`. Resolves to how many.
 */
export async function migratePlacedOrders(): Promise<number> {
  // Through the driver: the schema no longer knows `placed`, so mongoose would refuse the filter.
  const result = await Order.collection.updateMany(
    { status: 'placed' },
    { $set: { status: 'paid', payment: { provider: 'none' } } },
  );
  return result.modifiedCount;
}
