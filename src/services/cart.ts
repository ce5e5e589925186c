import type { Request } from 'express';
import { trusted, type Types } from 'mongoose';
import type { CartItem } from '../models/cartItems';
import { guestCart } from '../models/GuestCart';
import { Product, type ProductDocument } from '../models/Product';
import type { UserDocument } from '../models/User';
import { settlePendingOrders } from './settlement';

export interface CartLine {
  product: ProductDocument;
  quantity: number;
}

/** The visitor's cart items: the user's (on their document) or a guest's (keyed by the session). */
export async function cartItemsOf(req: Request): Promise<CartItem[]> {
  if (req.user) return req.user.cart.items;
  return req.session.hasGuestCart ? guestCart.items(req.sessionID) : [];
}

/**
 * The cart to show: for a user, after settling any order whose items are still in it (a checkout
 * a crash interrupted), so that nothing ordered shows up as still to buy. `settled` counts those.
 */
export async function currentCartItems(req: Request): Promise<{ items: CartItem[]; settled: number }> {
  const settled = req.user ? (await settlePendingOrders(req.user)).length : 0;
  return { items: await cartItemsOf(req), settled };
}

/**
 * Adds one of `productId`. `formId` names the form it came from (see lib/formIds.ts): the same form
 * sent again, as after an error or a lost answer, adds nothing more.
 */
export async function addToCart(req: Request, productId: Types.ObjectId, formId?: string): Promise<void> {
  if (req.user) {
    await settlePendingOrders(req.user);
    await req.user.addToCart(productId, 1, formId);
    return;
  }
  await guestCart.add(req.sessionID, productId, formId);
  req.session.hasGuestCart = true;
}

export async function removeFromCart(req: Request, productId: string): Promise<void> {
  if (req.user) {
    // An interrupted order's items leave first: removing one by hand must not make it leave twice.
    await settlePendingOrders(req.user);
    await req.user.removeFromCart(productId);
  } else if (req.session.hasGuestCart) await guestCart.remove(req.sessionID, productId);
}

/** Sets the quantity of a line of the visitor's cart (0 removes it), atomically like an add. */
export async function setCartQuantity(req: Request, productId: string, quantity: number): Promise<void> {
  if (req.user) {
    await settlePendingOrders(req.user);
    await req.user.setCartQuantity(productId, quantity);
  } else if (req.session.hasGuestCart) await guestCart.setQuantity(req.sessionID, productId, quantity);
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
