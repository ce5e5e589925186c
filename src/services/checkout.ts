import { trusted } from 'mongoose';
import { crashPoint } from '../lib/faults';
import { HttpError } from '../lib/HttpError';
import type { CartItem } from '../models/cartItems';
import { cartFingerprint, describeCartChanges } from './cartCheck';
import { Order, type OrderDocument, type OrderLine } from '../models/Order';
import { Product } from '../models/Product';
import { User, isDuplicateKeyError, type UserDocument } from '../models/User';
import { pendingOrdersOf, settleCart, settleOrder } from './settlement';
import { finishStockMove, shortLinesOf, shortStockErrorFor, ShortStockError } from './stock';

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
 * Settles the user's orders whose items never left the cart (a crash or a database failure in
 * between). Returns them, and the one made from the cart as it is now, if any: this submission
 * repeats it.
 */
async function settleInterruptedOrders(user: UserDocument) {
  const pending = await pendingOrdersOf(user);
  if (pending.length === 0) return { settled: pending, repeated: undefined };
  const cartNow = await User.findById(user._id).select('cart.version');
  const settled: OrderDocument[] = [];
  for (const order of pending) if (await settleOrder(order, user)) settled.push(order);
  return { settled, repeated: settled.find((order) => order.cartVersion === cartNow?.cart.version) };
}

/**
 * Takes the order's stock (services/stock.ts), then its items out of the cart. If a line falls
 * short, the order is gone and nothing was taken: the error names the short lines.
 */
async function stockAndSettle(order: OrderDocument, user: UserDocument): Promise<OrderDocument> {
  if (order.stockState === 'taking' && (await finishStockMove(order._id)) === 'void') {
    throw await shortStockErrorFor(order.lines);
  }
  await settleCart(order, user);
  return order;
}

/**
 * Turns the user's cart into an order. Without transactions (not every server has them) the order is
 * written first, with its stock move pending; then each line's quantity is taken from its product's
 * stock (a line short: everything taken goes back and the order is deleted, ShortStockError); only
 * then are exactly the ordered items taken out of the cart: a failure in
 * between (a crash, the database gone) leaves the items in the cart, never an emptied cart without
 * an order. Such an order is settled (services/settlement.ts, exactly once) by the next request
 * that shows or changes the cart or places an order, so its items are never bought twice. The order
 * is unique per cart version, so a retried submission does not order twice. The crash points let
 * the reliability tests kill the server at each step.
 */
export async function placeOrder(user: UserDocument, { seenCart }: { seenCart?: string } = {}): Promise<OrderDocument> {
  const { settled, repeated } = await settleInterruptedOrders(user);
  if (repeated) return repeated;

  const current = await User.findById(user._id).select('email cart');
  const items: CartItem[] = current?.cart.items ?? [];
  // Nothing left once an interrupted order was settled: that order was what this submission asked for.
  if (items.length === 0 && settled.length > 0) return settled[settled.length - 1]!;
  if (!current || items.length === 0) throw new EmptyCartError();
  const version = current.cart.version;

  const products = await Product.find({ _id: trusted({ $in: items.map((item) => item.productId) }) });
  const stocked = items.flatMap((item) => {
    const product = products.find((p) => p._id.equals(item.productId));
    return product ? [{ product, quantity: item.quantity }] : [];
  });
  const lines: OrderLine[] = stocked.map(({ product, quantity }) => ({
    productId: product._id,
    title: product.title,
    priceCents: product.priceCents,
    quantity,
  }));
  if (lines.length === 0) throw new EmptyCartError();
  // Ordered only at the prices (and quantities) the buyer saw on the cart page.
  if (seenCart !== undefined && cartFingerprint(lines) !== seenCart) {
    throw new CartChangedError(describeCartChanges(seenCart, lines));
  }
  // Short already: refused before anything is written. (Enough now is no promise: the stock is
  // taken, each line by a conditional update, once the order is written.)
  const short = shortLinesOf(
    stocked.map(({ product, quantity }) => ({ title: product.title, quantity, stock: product.stock })),
  );
  if (short.length > 0) throw new ShortStockError(short);

  crashPoint('checkout:before-order');
  let order: OrderDocument;
  try {
    order = await Order.create({
      userId: current._id,
      email: current.email,
      lines,
      totalCents: lines.reduce((sum, line) => sum + line.priceCents * line.quantity, 0),
      cartVersion: version,
      // The pending stock move: whoever finds the order so (after a crash) completes or undoes it.
      stockState: 'taking',
    });
  } catch (err) {
    if (!isDuplicateKeyError(err)) throw err;
    // The same cart was already ordered (a double submit): that order is the answer.
    const existing = await Order.findOne({ userId: current._id, cartVersion: version });
    // Gone already: it fell short of stock and was deleted.
    if (!existing) throw await shortStockErrorFor(lines);
    return stockAndSettle(existing, user);
  }
  crashPoint('checkout:order-written');
  await stockAndSettle(order, user);
  crashPoint('checkout:order-settled');
  return order;
}
