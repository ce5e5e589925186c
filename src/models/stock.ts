import { trusted, type Types } from 'mongoose';
import { serialized } from '../db';
import { Product } from './Product';

/**
 * One product's stock, moved for one order. Every move is one conditional update that changes the
 * count and records the move's marker together (`take:<orderId>`, `return:<orderId>` in
 * `stockMoves`), so a move retried after a crash finds its marker and changes nothing: the count
 * is never moved twice for one order, and never below zero. `serialized` makes each update safe on
 * a server that does not apply even a conditional update atomically.
 */
type ProductId = Types.ObjectId;

const marker = (move: 'take' | 'return', orderId: string) => `${move}:${orderId}`;
const productKey = (productId: ProductId) => `product:${productId.toString()}`;

/** Takes `quantity` for the order if that many are left; true if taken (now or by an earlier attempt). */
export function takeStock(productId: ProductId, orderId: string, quantity: number): Promise<boolean> {
  const mark = marker('take', orderId);
  return serialized(productKey(productId), async () => {
    const result = await Product.updateOne(
      { _id: productId, stock: trusted({ $gte: quantity }), stockMoves: trusted({ $ne: mark }) },
      { $inc: { stock: -quantity }, $push: { stockMoves: mark } },
    );
    if (result.matchedCount === 1) return true;
    // Nothing matched: too few left, or this very move was made before (a retry after a crash).
    return (await Product.countDocuments({ _id: productId, stockMoves: mark })) === 1;
  });
}

/** Undoes the order's take, if it was made (an order that fell short on another line). */
export async function untakeStock(productId: ProductId, orderId: string, quantity: number): Promise<void> {
  const mark = marker('take', orderId);
  await serialized(productKey(productId), () =>
    Product.updateOne({ _id: productId, stockMoves: mark }, { $inc: { stock: quantity }, $pull: { stockMoves: mark } }),
  );
}

/** Gives a cancelled order's quantity back, once. */
export async function returnStock(productId: ProductId, orderId: string, quantity: number): Promise<void> {
  const mark = marker('return', orderId);
  await serialized(productKey(productId), () =>
    Product.updateOne(
      { _id: productId, stockMoves: trusted({ $ne: mark }) },
      { $inc: { stock: quantity }, $push: { stockMoves: mark } },
    ),
  );
}

/**
 * Forgets the order's markers, once its move is recorded as done on the order (nothing will retry
 * it then), so that a product's list of markers stays short.
 */
export async function forgetStockMoves(productIds: ProductId[], orderId: string): Promise<void> {
  const marks = [marker('take', orderId), marker('return', orderId)];
  await Promise.all(
    productIds.map((productId) =>
      serialized(productKey(productId), () =>
        Product.updateOne({ _id: productId }, { $pullAll: { stockMoves: marks } }),
      ),
    ),
  );
}

/** Runs `change` (an admin's edit) so that it never interleaves with a stock move of the product. */
export const withProductLocked = <T>(productId: ProductId, change: () => Promise<T>) =>
  serialized(productKey(productId), change);
