import { Types, trusted } from 'mongoose';
import { crashPoint } from '../lib/faults';
import { HttpError } from '../lib/HttpError';
import type { CartItem } from '../models/cartItems';
import { cartFingerprint, describeCartChanges } from './cartCheck';
import {
  Order,
  type DeliveryAddress,
  type OrderDocument,
  type OrderLine,
  type OrderPayment,
  type ShippingMethod,
} from '../models/Order';
import { StockHold } from '../models/StockHold';
import type { Cents } from '../lib/money';
import { Product } from '../models/Product';
import { User, isDuplicateKeyError, type UserDocument } from '../models/User';
import { cartVersionOf, finishOrder, LateOrderError, pendingOrdersOf } from './settlement';
import { shortLinesOf, shortStockErrorFor, ShortStockError } from './stock';

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

/** What the checkout form adds to the cart: where the order goes, how, and how it is paid. */
export interface CheckoutDetails {
  address: DeliveryAddress;
  shipping: { method: ShippingMethod; priceCents: Cents };
  /** The checkout form's one-time id, its Idempotency-Key: the form sent again finds this order. */
  checkoutKey: string;
  /** How long the order holds its stock while the customer pays (STOCK_HOLD_MINUTES). */
  holdMinutes: number;
  provider: OrderPayment['provider'];
}

/**
 * Finishes the user's orders that a crash, a pause or a lost answer interrupted. Returns those
 * that went through now, and the one made from the cart as it is now, if any: this submission
 * repeats it.
 */
async function settleInterruptedOrders(user: UserDocument) {
  const pending = await pendingOrdersOf(user);
  if (pending.length === 0) return { settled: pending, repeated: undefined };
  const versionNow = await cartVersionOf(user);
  const settled: OrderDocument[] = [];
  let repeated: OrderDocument | undefined;
  for (const order of pending) {
    const outcome = await finishOrder(order, user);
    if (outcome === 'placed') settled.push(order);
    if (outcome === 'placed' && order.cartVersion === versionNow) repeated = order;
  }
  return { settled, repeated };
}

/** The answer for an order once finished: the order, or why nothing was ordered. */
async function answerFor(order: OrderDocument, user: UserDocument): Promise<OrderDocument> {
  const outcome = await finishOrder(order, user);
  if (outcome === 'late') throw new LateOrderError();
  if (outcome === 'short') throw await shortStockErrorFor(order.lines);
  return order;
}

/**
 * Turns the user's cart into an order awaiting payment, its stock held (taken from the products,
 * so that nobody else buys it meanwhile, until `holdMinutes` have passed: services/payments.ts),
 * without transactions (not every server has them), in steps
 * that each end in one conditional write, so that any of them may be repeated by whoever finds the
 * order unfinished (services/settlement.ts):
 * 1. the order is written, `taking` its stock, made from cart version v (unique per user and
 *    version: a double submission finds the first order);
 * 2. the commit point: its items leave the cart only if the cart is still at version v. An order
 *    made from a cart that was changed or ordered meanwhile (another tab, another instance that was
 *    slow) is refused here, before anything is taken (LateOrderError, 409);
 * 3. each line's quantity is taken from its product's stock, marked per order; then the order is
 *    decided `taken`, or, with a line short, void: its stock and its cart items go back and it is
 *    deleted (ShortStockError, 409).
 * A failure in between (a crash, the database gone) leaves an order that the customer's next
 * request finishes, never an emptied cart without an order. The crash points let the reliability
 * tests kill the server at each step.
 */
export async function placeOrder(
  user: UserDocument,
  { seenCart, checkout }: { seenCart?: string; checkout: CheckoutDetails },
): Promise<OrderDocument> {
  // The same form sent again (a double click, a retry after a lost answer): its order.
  const sentBefore = await Order.findOne({ userId: user._id, checkoutKey: checkout.checkoutKey });
  if (sentBefore) return answerFor(sentBefore, user);
  const { settled, repeated } = await settleInterruptedOrders(user);
  if (repeated) return repeated;

  const current = await User.findById(user._id).select('email cart');
  const items: CartItem[] = current?.cart.items ?? [];
  // Nothing left once an interrupted order was settled: that order was what this submission asked for.
  if (items.length === 0 && settled.length > 0) return settled[settled.length - 1]!;
  if (!current || items.length === 0) {
    // This very form's order was made meanwhile (a double click whose twin finished first).
    const madeMeanwhile = await Order.findOne({ userId: user._id, checkoutKey: checkout.checkoutKey });
    if (madeMeanwhile) return answerFor(madeMeanwhile, user);
    throw new EmptyCartError();
  }
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
  // taken, each line by a conditional update, once the order has its cart.)
  const short = shortLinesOf(
    stocked.map(({ product, quantity }) => ({ title: product.title, quantity, stock: product.stock })),
  );
  if (short.length > 0) throw new ShortStockError(short);

  crashPoint('checkout:before-order');
  const orderId = new Types.ObjectId();
  const holdExpiresAt = new Date(Date.now() + checkout.holdMinutes * 60_000);
  // The hold first: an order never exists without one. (A crash right after leaves a hold of no
  // order, which expires by itself.)
  await StockHold.create({
    _id: orderId,
    userId: current._id,
    lines: lines.map(({ productId, quantity }) => ({ productId, quantity })),
    expiresAt: holdExpiresAt,
  });
  let order: OrderDocument;
  try {
    order = await Order.create({
      _id: orderId,
      status: 'awaiting_payment',
      userId: current._id,
      email: current.email,
      lines,
      address: checkout.address,
      shipping: checkout.shipping,
      totalCents: lines.reduce((sum, line) => sum + line.priceCents * line.quantity, 0) + checkout.shipping.priceCents,
      payment: { provider: checkout.provider },
      holdExpiresAt,
      checkoutKey: checkout.checkoutKey,
      cartVersion: version,
      stockState: 'taking',
    });
  } catch (err) {
    // Nothing is held for an order that was not written (if this fails too, the hold expires).
    await StockHold.deleteOne({ _id: orderId }).catch(() => undefined);
    if (!isDuplicateKeyError(err)) throw err;
    // The same cart was already ordered (a double submit): that order is the answer.
    const existing = await Order.findOne({ userId: current._id, cartVersion: version });
    // Gone already: it was void (short of stock, or it lost its cart).
    if (!existing) throw await shortStockErrorFor(lines);
    return answerFor(existing, user);
  }
  crashPoint('checkout:order-written');
  await answerFor(order, user);
  crashPoint('checkout:order-settled');
  return order;
}
