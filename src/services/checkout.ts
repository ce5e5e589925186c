import { trusted } from 'mongoose';
import { HttpError } from '../lib/HttpError';
import type { CartItem } from '../models/cartItems';
import { Order, type OrderDocument, type OrderLine } from '../models/Order';
import { Product } from '../models/Product';
import { User, isDuplicateKeyError, type UserDocument } from '../models/User';

export class EmptyCartError extends HttpError {
  constructor() {
    super(422, 'Your cart is empty: add something before placing an order.');
  }
}

/**
 * Turns the user's cart into an order. Without transactions (FerretDB has none) the order is
 * written first and only then are exactly the ordered items taken out of the cart: a failure in
 * between leaves the items in the cart, never an emptied cart without an order. The order is
 * unique per cart version, so a retried submission does not order twice.
 */
export async function placeOrder(user: UserDocument): Promise<OrderDocument> {
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
    return existing;
  }
  await user.removeOrdered(lines.map(({ productId, quantity }) => ({ productId, quantity })));
  return order;
}
