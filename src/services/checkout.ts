import { trusted } from 'mongoose';
import { HttpError } from '../lib/HttpError';
import { serialized } from '../db';
import type { CartItem } from '../models/cartItems';
import { cartFingerprint, describeCartChanges } from './cartCheck';
import { Order, type OrderDocument, type OrderLine } from '../models/Order';
import { Product } from '../models/Product';
import { User, isDuplicateKeyError, type UserDocument } from '../models/User';

export class EmptyCartError extends HttpError {
  constructor() {
    super(422, 'Your cart is empty: add something before placing an order.');
  }
}

/** The cart is not what the buyer saw (a price changed, or its items): nothing was ordered. */
export class CartChangedError extends HttpError {
  constructor(readonly changes: string[]) {
    super(409, `Your cart changed since you saw it, so nothing was ordered. ${changes.join(' ')}`);
  }
}

/**
 * Takes an order's items out of its user's cart, once. The order is claimed first (cartSettled
 * false → true), so two requests never both subtract; if the subtraction then fails, the claim is
 * released and a later attempt settles it.
 */
async function settleOrder(order: OrderDocument, user: UserDocument): Promise<void> {
  await serialized(`settle:${order.id as string}`, async () => {
    const claim = await Order.updateOne({ _id: order._id, cartSettled: false }, { cartSettled: true });
    if (claim.modifiedCount !== 1) return;
    try {
      await user.removeOrdered(order.lines.map(({ productId, quantity }) => ({ productId, quantity })));
    } catch (err) {
      await Order.updateOne({ _id: order._id }, { cartSettled: false }).catch(() => undefined);
      throw err;
    }
  });
}

/**
 * Settles the user's orders whose items never left the cart (the database failed in between).
 * Returns the one made from the cart as it is now, if any: this submission repeats it.
 */
async function settlePendingOrders(user: UserDocument): Promise<OrderDocument | undefined> {
  const pending = await Order.find({ userId: user._id, cartSettled: false });
  if (pending.length === 0) return undefined;
  const cartNow = await User.findById(user._id).select('cart.version');
  for (const order of pending) await settleOrder(order, user);
  return pending.find((order) => order.cartVersion === cartNow?.cart.version);
}

/**
 * Turns the user's cart into an order. Without transactions (FerretDB has none) the order is
 * written first and only then are exactly the ordered items taken out of the cart: a failure in
 * between leaves the items in the cart, never an emptied cart without an order. Such an order is
 * settled before the next one is placed, so its items are never bought twice. The order is unique
 * per cart version, so a retried submission does not order twice.
 */
export async function placeOrder(user: UserDocument, { seenCart }: { seenCart?: string } = {}): Promise<OrderDocument> {
  const retried = await settlePendingOrders(user);
  if (retried) return retried;

  const current = await User.findById(user._id).select('email cart');
  const items: CartItem[] = current?.cart.items ?? [];
  if (!current || items.length === 0) throw new EmptyCartError();
  const version = current.cart.version;

  const products = await Product.find({ _id: trusted({ $in: items.map((item) => item.productId) }) });
  const lines: OrderLine[] = items.flatMap((item) => {
    const product = products.find((p) => p._id.equals(item.productId));
    return product
      ? [{ productId: product._id, title: product.title, priceCents: product.priceCents, quantity: item.quantity }]
      : [];
  });
  if (lines.length === 0) throw new EmptyCartError();
  // Ordered only at the prices (and quantities) the buyer saw on the cart page.
  if (seenCart !== undefined && cartFingerprint(lines) !== seenCart) {
    throw new CartChangedError(describeCartChanges(seenCart, lines));
  }

  let order: OrderDocument;
  try {
    order = await Order.create({
      userId: current._id,
      email: current.email,
      lines,
      totalCents: lines.reduce((sum, line) => sum + line.priceCents * line.quantity, 0),
      cartVersion: version,
    });
  } catch (err) {
    if (!isDuplicateKeyError(err)) throw err;
    // The same cart was already ordered (a double submit): that order is the answer.
    const existing = await Order.findOne({ userId: current._id, cartVersion: version });
    if (!existing) throw err;
    await settleOrder(existing, user);
    return existing;
  }
  await settleOrder(order, user);
  return order;
}
