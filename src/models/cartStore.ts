import { mongo, type Collection } from 'mongoose';
import type { CartChange, CartItem } from './cartItems';
import { serialized } from '../db';
import { crashPoint } from '../lib/faults';

interface StoredCart {
  items?: CartItem[];
  version?: number;
  settledOrders?: string[];
  recentForms?: string[];
}

/**
 * Makes a change happen at most once per `key`: the cart remembers the keys of the changes it
 * took, in `list`, written in the same compare-and-swap as the change itself. A change repeated
 * with a remembered key (a retried form, a settlement started again after a crash) changes nothing.
 */
export interface Once {
  list: 'settledOrders' | 'recentForms';
  key: string;
  /** Which of the remembered keys to keep, oldest first; the new key is added after them. */
  keep(keys: string[]): string[];
}

/** How many add-to-cart forms a cart remembers, to take each one once (see `oncePerForm`). */
export const RECENT_FORMS = 20;

/** Adds from the form `formId` once, however often it is sent; the last `RECENT_FORMS` forms are known. */
export const oncePerForm = (formId: string): Once => ({
  list: 'recentForms',
  key: formId,
  keep: (keys) => keys.slice(-(RECENT_FORMS - 1)),
});

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
 * safe on a server that does not apply even a conditional update atomically. With `once`, a
 * change already made under the same key is not made again.
 */
export async function updateCart(holder: CartHolder, change: CartChange, once?: Once): Promise<CartItem[]> {
  return (await changeOnce(holder, change, { once })).items;
}

/**
 * What became of a change made at one version of a cart: made now, made before (its `once` key is
 * remembered), or never to be made (`stale`: the cart moved past that version without it).
 */
export type VersionedOutcome = 'changed' | 'repeated' | 'stale';

/**
 * Applies `change` to the cart only as it was at `version`, once per `once.key`: an order's claim
 * on the cart it was made from (services/settlement.ts). Versions only grow, so a `stale` answer
 * is final: no later attempt can make this change.
 */
export function updateCartAt(
  holder: CartHolder,
  version: number,
  change: CartChange,
  once: Once,
): Promise<{ items: CartItem[]; outcome: VersionedOutcome }> {
  return changeOnce(holder, change, { once, atVersion: version });
}

function changeOnce(holder: CartHolder, change: CartChange, options: { once?: Once; atVersion?: number }) {
  const key = `cart:${holder.collection.collectionName}:${String(holder.id)}`;
  return serialized(key, () => compareAndSwap(holder, change, options));
}

async function compareAndSwap(
  { collection, id, upsert = false }: CartHolder,
  change: CartChange,
  { once, atVersion }: { once?: Once; atVersion?: number },
): Promise<{ items: CartItem[]; outcome: VersionedOutcome }> {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt += 1) {
    // Guest carts have string ids; the driver's default typing assumes ObjectIds.
    const byId = { _id: id } as mongo.Filter<mongo.Document>;
    const doc = await collection.findOne(byId, { projection: { cart: 1 } });
    if (!doc && !upsert) return { items: [], outcome: atVersion === undefined ? 'changed' : 'stale' };
    const cart: StoredCart = doc?.cart ?? {};
    const version = cart.version ?? 0;
    const remembered = once ? (cart[once.list] ?? []) : [];
    if (once && remembered.includes(once.key)) return { items: cart.items ?? [], outcome: 'repeated' };
    if (atVersion !== undefined && version !== atVersion) return { items: cart.items ?? [], outcome: 'stale' };
    const items = change(cart.items ?? []);
    const keys = once ? { [`cart.${once.list}`]: [...once.keep(remembered), once.key] } : {};
    // Tests only: a crash between reading the cart and writing it.
    crashPoint('cart:before-write');
    try {
      const result = await collection.updateOne(
        { ...byId, 'cart.version': version === 0 ? { $in: [0, null] } : version },
        // `updatedAt` by hand: this is the driver, not mongoose, and abandoned guest carts expire by it.
        { $set: { 'cart.items': items, 'cart.version': version + 1, ...keys, updatedAt: new Date() } },
        { upsert: upsert && !doc },
      );
      if (result.matchedCount === 1 || result.upsertedCount === 1) return { items, outcome: 'changed' };
    } catch (err) {
      // Two first writes racing to create the same document: the loser retries.
      if (!(err instanceof mongo.MongoServerError && err.code === 11000)) throw err;
    }
    await pause(Math.random() * Math.min(2 ** attempt, 50));
  }
  throw new CartConflictError('The cart is too busy right now. Please try again.');
}
