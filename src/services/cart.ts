import type { Request } from 'express';
import { trusted, type Types } from 'mongoose';
import type { CartItem } from '../models/cartItems';
import { guestCart } from '../models/GuestCart';
import { Product, type ProductDocument } from '../models/Product';

export interface CartLine {
  product: ProductDocument;
  quantity: number;
}

/** The visitor's cart items: the user's (on their document) or a guest's (keyed by the session). */
export async function cartItemsOf(req: Request): Promise<CartItem[]> {
  if (req.user) return req.user.cart.items;
  return req.session.hasGuestCart ? guestCart.items(req.sessionID) : [];
}

export async function addToCart(req: Request, productId: Types.ObjectId): Promise<void> {
  if (req.user) {
    await req.user.addToCart(productId);
    return;
  }
  await guestCart.add(req.sessionID, productId);
  req.session.hasGuestCart = true;
}

export async function removeFromCart(req: Request, productId: string): Promise<void> {
  if (req.user) await req.user.removeFromCart(productId);
  else if (req.session.hasGuestCart) await guestCart.remove(req.sessionID, productId);
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
export async function mergeGuestCart(guestSessionId: string, user: { mergeCart(items: CartItem[]): Promise<unknown> }) {
  const items = await guestCart.items(guestSessionId);
  if (items.length === 0) return;
  await user.mergeCart(items);
  await guestCart.discard(guestSessionId);
}
