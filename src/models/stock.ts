import { trusted, type Types } from 'mongoose';
import { serialized } from '../db';
import { Product } from './Product';

/**
 * One product's stock, moved for one order. Every move is one conditional update that changes the
 * count and records the move's marker together, in `stockMoves`: `take:<orderId>` when the order
 * took its quantity, `void:<orderId>` beside it when that was undone (or instead of it, so that
 * a take arriving late finds the order void), `return:<orderId>` when a cancellation gave it
 * back. The markers stay as long as the product: whoever repeats a move, whenever (a retry after
 * a crash, a process that was paused mid-checkout), finds its marker and changes nothing. So the
 * count is never moved twice for one order, and never below zero, without any lock.
 * `serialized` makes each update safe on a server that does not apply even a conditional update
 * atomically.
 */
type ProductId = Types.ObjectId;

const marker = (move: 'take' | 'void' | 'return', orderId: string) => `${move}:${orderId}`;
const productKey = (productId: ProductId) => `product:${productId.toString()}`;

/**
 * Takes `quantity` for the order if that many are left and the order's take was not voided; true
 * if taken (now or by an earlier attempt).
 */
export function takeStock(productId: ProductId, orderId: string, quantity: number): Promise<boolean> {
  const take = marker('take', orderId);
  const voided = marker('void', orderId);
  return serialized(productKey(productId), async () => {
    const result = await Product.updateOne(
      { _id: productId, stock: trusted({ $gte: quantity }), stockMoves: trusted({ $nin: [take, voided] }) },
      { $inc: { stock: -quantity }, $push: { stockMoves: take } },
    );
    if (result.matchedCount === 1) return true;
    // Nothing matched: too few left, the order voided, or this very take made before (a retry).
    const taken = { _id: productId, stockMoves: trusted({ $all: [take], $nin: [voided] }) };
    return (await Product.countDocuments(taken)) === 1;
  });
}

/**
 * Undoes the order's take of this product for good: gives the quantity back if it was taken, and
 * either way leaves the `void` marker, so that no take of it for this order succeeds afterwards.
 */
export async function voidTake(productId: ProductId, orderId: string, quantity: number): Promise<void> {
  const take = marker('take', orderId);
  const voided = marker('void', orderId);
  const key = productKey(productId);
  for (;;) {
    const untaken = await serialized(key, () =>
      Product.updateOne(
        { _id: productId, stockMoves: trusted({ $all: [take], $nin: [voided] }) },
        { $inc: { stock: quantity }, $push: { stockMoves: voided } },
      ),
    );
    if (untaken.matchedCount === 1) return;
    const barred = await serialized(key, () =>
      Product.updateOne(
        { _id: productId, stockMoves: trusted({ $nin: [take, voided] }) },
        { $push: { stockMoves: voided } },
      ),
    );
    if (barred.matchedCount === 1) return;
    // Neither matched: voided already (done), the product deleted (nothing to do), or a take came
    // in between the two updates (the next round gives it back).
    const state = await Product.findById(productId).select('+stockMoves').lean();
    if (!state || state.stockMoves?.includes(voided)) return;
  }
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
 * An admin's new count, typed over the `shown` one: applied as the difference, so that what
 * orders took or gave back since the form was opened stays counted. False if that would leave
 * less than nothing (orders took more meanwhile than the admin's count allows).
 */
export async function recountStock(productId: ProductId, shown: number, typed: number): Promise<boolean> {
  const change = typed - shown;
  if (change === 0) return true;
  const result = await serialized(productKey(productId), () =>
    Product.updateOne({ _id: productId, stock: trusted({ $gte: Math.max(0, -change) }) }, { $inc: { stock: change } }),
  );
  return result.matchedCount === 1;
}

/** Runs `change` (an admin's edit) so that it never interleaves with a stock move of the product. */
export const withProductLocked = <T>(productId: ProductId, change: () => Promise<T>) =>
  serialized(productKey(productId), change);
