import { mongo, type Collection } from 'mongoose';
import type { CartChange, CartItem } from './cartItems';
import { serialized } from '../db';

interface StoredCart {
  items?: CartItem[];
  version?: number;
}

/** The document holding a cart under `cart: { items, version }`: a user, or a guest cart. */
interface CartHolder {
  /** A model's collection (`User.collection`), which knows its connection. */
  collection: Collection;
  id: mongo.ObjectId | string;
  /** Create the document when it does not exist yet (a guest's first item). */
  upsert?: boolean;
}

const MAX_ATTEMPTS = 100;

/** The cart changed under us too often to get a turn: "try again" (503), not a bug. */
export class CartConflictError extends Error {
  override name = 'CartConflictError';
  readonly status = 503;
  readonly userFacing = true;
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Applies `change` to a cart atomically. Concurrent requests on one cart each read it, compute
 * their change and write it only if nobody wrote in between (compare-and-swap on a version
 * counter), retrying otherwise, so no add is ever lost. This needs no positional operators or
 * array filters, which not every MongoDB-wire server has, nor transactions. `serialized` makes it
 * safe on a server that does not apply even a conditional update atomically.
 */
export function updateCart(holder: CartHolder, change: CartChange): Promise<CartItem[]> {
  const key = `cart:${holder.collection.collectionName}:${String(holder.id)}`;
  return serialized(key, () => compareAndSwap(holder, change), { db: holder.collection.conn.db });
}

async function compareAndSwap({ collection, id, upsert = false }: CartHolder, change: CartChange): Promise<CartItem[]> {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt += 1) {
    // Guest carts have string ids; the driver's default typing assumes ObjectIds.
    const byId = { _id: id } as mongo.Filter<mongo.Document>;
    const doc = await collection.findOne(byId, { projection: { cart: 1 } });
    if (!doc && !upsert) return [];
    const cart: StoredCart = doc?.cart ?? {};
    const version = cart.version ?? 0;
    const items = change(cart.items ?? []);
    try {
      const result = await collection.updateOne(
        { ...byId, 'cart.version': version === 0 ? { $in: [0, null] } : version },
        // `updatedAt` by hand: this is the driver, not mongoose, and abandoned guest carts expire by it.
        { $set: { 'cart.items': items, 'cart.version': version + 1, updatedAt: new Date() } },
        { upsert: upsert && !doc },
      );
      if (result.matchedCount === 1 || result.upsertedCount === 1) return items;
    } catch (err) {
      // Two first writes racing to create the same document: the loser retries.
      if (!(err instanceof mongo.MongoServerError && err.code === 11000)) throw err;
    }
    await pause(Math.random() * Math.min(2 ** attempt, 50));
  }
  throw new CartConflictError('The cart is too busy right now. Please try again.');
}
