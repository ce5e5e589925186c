import { trusted } from 'mongoose';
import { crashPoint } from '../lib/faults';
import { Order, type OrderDocument } from '../models/Order';
import type { UserDocument } from '../models/User';
import { finishStockMove } from './stock';

/** Of the orders a cart remembers as settled, those marked settled on the order too: it may forget them. */
async function settledForGood(user: UserDocument): Promise<Set<string>> {
  const remembered = user.cart.settledOrders ?? [];
  if (remembered.length === 0) return new Set();
  const marked = await Order.find({ _id: trusted({ $in: remembered }), cartSettled: true })
    .select('_id')
    .lean();
  return new Set(marked.map((order) => order._id.toString()));
}

/**
 * Takes an order's items out of its user's cart exactly once, however often it is called and
 * wherever a crash stopped an earlier call. Taking them out and recording that it was done
 * (`cart.settledOrders`) are one compare-and-swap of the cart, so a repeat finds the order
 * recorded and changes nothing; no lock is needed where updates are atomic. Only then is the order
 * marked `cartSettled`, which merely stops it being looked for (and lets the cart forget it).
 */
export async function settleCart(order: OrderDocument, user: UserDocument): Promise<void> {
  const ordered = order.lines.map(({ productId, quantity }) => ({ productId, quantity }));
  await user.removeOrdered(order._id.toString(), ordered, await settledForGood(user));
  crashPoint('checkout:cart-settled');
  await Order.updateOne({ _id: order._id, cartSettled: false }, { cartSettled: true });
}

/**
 * Finishes what a crash or a database failure may have left of an order: its stock move first
 * (services/stock.ts), then, if the order stands, its cart. Resolves to whether its items were
 * still to be taken out of the cart (an interrupted checkout that went through after all).
 */
export async function settleOrder(order: OrderDocument, user: UserDocument): Promise<boolean> {
  if (order.stockState === 'taking' || order.stockState === 'returning') {
    // A checkout whose stock fell short is deleted: its items stay in the cart, nothing was ordered.
    if ((await finishStockMove(order._id)) === 'void') return false;
  }
  if (order.cartSettled) return false;
  await settleCart(order, user);
  return true;
}

/**
 * The user's orders with something left to do: items that may still be in the cart, or a stock
 * move not finished (a crash or a database failure in between). One query either way.
 */
export const pendingOrdersOf = (user: UserDocument) =>
  Order.find({
    userId: user._id,
    $or: [{ cartSettled: false }, { stockState: trusted({ $in: ['taking', 'returning'] }) }],
  }).sort({ createdAt: 1 });

/**
 * Finishes the settlement of the user's pending orders; returns those whose items it took out of
 * the cart now. Called before anything shows or changes the cart, so that an ordered item is
 * never shown, kept or bought again.
 */
export async function settlePendingOrders(user: UserDocument): Promise<OrderDocument[]> {
  const pending = await pendingOrdersOf(user);
  const settled: OrderDocument[] = [];
  for (const order of pending) if (await settleOrder(order, user)) settled.push(order);
  return settled;
}
