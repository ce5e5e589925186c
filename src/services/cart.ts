import { trusted } from 'mongoose';
import { HttpError } from '../lib/HttpError';
import type { CartItem } from '../models/cartItems';
import { guestCart } from '../models/GuestCart';
import { Product, type ProductDocument } from '../models/Product';
import type { UserDocument } from '../models/User';
import { settlePendingOrders } from './settlement';

/**
 * Whose cart: a signed-in user's (on their document) or a guest's (its own document, keyed by the
 * session id; `hasGuestCart` once one was made). The controller says which; nothing here knows HTTP.
 */
export type CartOwner = { user: UserDocument } | { user?: undefined; guestSessionId: string; hasGuestCart: boolean };

export interface CartLine {
  product: ProductDocument;
  quantity: number;
}

/** Adding a product with no stock left: refused, and said so. */
export class OutOfStockError extends HttpError {
  constructor(title: string) {
    super(409, `Sorry, “${title}” is out of stock, so it was not added to your cart.`);
  }
}

/** The owner's cart items: the user's (on their document) or a guest's. */
export async function cartItemsOf(owner: CartOwner): Promise<CartItem[]> {
  if (owner.user) return owner.user.cart.items;
  return owner.hasGuestCart ? guestCart.items(owner.guestSessionId) : [];
}

/**
 * The cart to show: for a user, after settling any order whose items are still in it (a checkout
 * a crash interrupted), so that nothing ordered shows up as still to buy. `settled` counts those.
 */
export async function currentCartItems(owner: CartOwner): Promise<{ items: CartItem[]; settled: number }> {
  const settled = owner.user ? (await settlePendingOrders(owner.user)).length : 0;
  return { items: await cartItemsOf(owner), settled };
}

/**
 * Adds one of `product`, unless it is out of stock (OutOfStockError). `formId` names the form it
 * came from (see lib/formIds.ts): the same form sent again, as after an error or a lost answer,
 * adds nothing more. A guest's first add makes their cart: the caller remembers `hasGuestCart`.
 */
export async function addToCart(owner: CartOwner, product: ProductDocument, formId?: string): Promise<void> {
  if (product.stock <= 0) throw new OutOfStockError(product.title);
  if (owner.user) {
    await settlePendingOrders(owner.user);
    await owner.user.addToCart(product._id, 1, formId);
    return;
  }
  await guestCart.add(owner.guestSessionId, product._id, formId);
}

export async function removeFromCart(owner: CartOwner, productId: string): Promise<void> {
  if (owner.user) {
    // An interrupted order's items leave first: removing one by hand must not make it leave twice.
    await settlePendingOrders(owner.user);
    await owner.user.removeFromCart(productId);
  } else if (owner.hasGuestCart) await guestCart.remove(owner.guestSessionId, productId);
}

/** Sets the quantity of a line of the owner's cart (0 removes it), atomically like an add. */
export async function setCartQuantity(owner: CartOwner, productId: string, quantity: number): Promise<void> {
  if (owner.user) {
    await settlePendingOrders(owner.user);
    await owner.user.setCartQuantity(productId, quantity);
  } else if (owner.hasGuestCart) await guestCart.setQuantity(owner.guestSessionId, productId, quantity);
}

/** The cart with its products; items whose product has since been deleted are left out. */
export async function cartLines(items: CartItem[]): Promise<CartLine[]> {
  if (items.length === 0) return [];
  const products = await Product.find({ _id: trusted({ $in: items.map((item) => item.productId) }) });
  return items.flatMap((item) => {
    const product = products.find((p) => p._id.equals(item.productId));
    return product ? [{ product, quantity: item.quantity }] : [];
  });
}

export const cartTotal = (lines: CartLine[]) =>
  lines.reduce((sum, line) => sum + line.product.priceCents * line.quantity, 0);

/** At login: the guest's cart moves into the user's cart (quantities add up). */
export async function mergeGuestCart(guestSessionId: string, user: UserDocument) {
  const items = await guestCart.items(guestSessionId);
  if (items.length === 0) return;
  await settlePendingOrders(user);
  await user.mergeCart(items);
  await guestCart.discard(guestSessionId);
}
