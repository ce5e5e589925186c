import { isValidObjectId, trusted } from 'mongoose';
import { serialized } from '../db';
import { crashPoint } from '../lib/faults';
import { HttpError } from '../lib/HttpError';
import { Order, type OrderDocument } from '../models/Order';
import { StockHold } from '../models/StockHold';
import { User, type UserDocument } from '../models/User';
import { finishStockMove, voidStockOf } from './stock';

/**
 * An order made from a cart that changed before the order could claim it (another tab or device
 * changed or ordered the cart while this order was on its way): nothing was ordered by it.
 */
export class LateOrderError extends HttpError {
  constructor() {
    super(
      409,
      'Your cart changed while this order was being placed (in another tab or on another device), so nothing ' +
        'was ordered by it. Check your cart and your orders, then order again if you still want to.',
    );
  }
}

/**
 * How finishing an order ended: `placed` (it stands, and its items left the cart just now),
 * `stands` (it stood already), `late` (it lost its cart: deleted, nothing taken), `short` (a
 * line fell short of stock: deleted, its items back in the cart, its stock given back).
 */
export type OrderOutcome = 'placed' | 'stands' | 'late' | 'short';

/** Of the orders a cart remembers as claimed, those marked on the order too: it may forget them. */
async function settledForGood(user: UserDocument): Promise<Set<string>> {
  const remembered = (user.cart.settledOrders ?? []).filter((key) => isValidObjectId(key));
  if (remembered.length === 0) return new Set();
  const marked = await Order.find({ _id: trusted({ $in: remembered }), cartSettled: true })
    .select('_id')
    .lean();
  return new Set(marked.map((order) => order._id.toString()));
}

/**
 * The commit point of an order: removing its items from the cart it was made from, only while that
 * cart is still at the order's version, recorded in the same compare-and-swap (`cart.settledOrders`).
 * So an order made from a cart that was ordered or changed since is refused before anything is
 * taken, a repeat of a made claim changes nothing, and a claim that failed once never succeeds
 * later (versions only grow). Resolves to whether the claim is made (now or before).
 */
async function claimCart(order: OrderDocument, user: UserDocument): Promise<'made now' | 'made' | 'refused'> {
  if (order.cartSettled) return 'made';
  const ordered = order.lines.map(({ productId, quantity }) => ({ productId, quantity }));
  const outcome = await user.claimForOrder(
    order._id.toString(),
    order.cartVersion ?? 0,
    ordered,
    await settledForGood(user),
  );
  if (outcome === 'stale') {
    // The cart forgets a claim only once the order is marked: read after the cart, the mark tells.
    const marked = await Order.exists({ _id: order._id, cartSettled: true });
    if (!marked) return 'refused';
    return 'made';
  }
  crashPoint('checkout:cart-settled');
  await serialized(`order:${order._id.toString()}`, () =>
    Order.updateOne({ _id: order._id, cartSettled: false }, { $set: { cartSettled: true } }),
  );
  return outcome === 'changed' ? 'made now' : 'made';
}

/** Deletes an order decided void (services/stock.ts), whatever state a crash left it in. */
async function deleteVoided(order: OrderDocument) {
  await serialized(`order:${order._id.toString()}`, () =>
    Order.deleteOne({ _id: order._id, stockState: trusted({ $in: ['taking', 'voiding'] }) }),
  );
  await StockHold.deleteOne({ _id: order._id });
}

/**
 * Takes an order through its steps, exactly once however often it is called and wherever a crash
 * (or a pause, or a lost answer) stopped an earlier call: its claim on the cart, then its stock.
 * Every step is a conditional write checked by its result, so two callers finishing one order at
 * once (the checkout that wrote it and the customer's next request) agree on the outcome.
 */
export async function finishOrder(order: OrderDocument, user: UserDocument): Promise<OrderOutcome> {
  const claim = await claimCart(order, user);
  if (claim === 'refused') {
    // Never claimed, so nothing of it was taken from the cart; a take its stock move may have begun
    // (orders written before claims came first) goes back.
    if (!(await voidStockOf(order))) return 'stands';
    await deleteVoided(order);
    return 'late';
  }
  if (order.cartRestore === 'pending') {
    // Its payment failed: its stock goes back, then its items into the cart (services/payments.ts).
    await finishStockMove(order);
    await restoreCart(order, user);
    return 'stands';
  }
  if ((await finishStockMove(order)) === 'void') {
    // Claimed, then short of stock: its items go back into the cart before it is deleted.
    await user.giveBackFromOrder(
      order._id.toString(),
      order.lines.map(({ productId, quantity }) => ({ productId, quantity })),
    );
    await deleteVoided(order);
    return 'short';
  }
  return claim === 'made now' ? 'placed' : 'stands';
}

/**
 * Puts the items of an order whose payment failed back into its customer's cart, once: the cart
 * remembers the give-back by the order's id, and the order is marked `done` after it.
 */
export async function restoreCart(order: OrderDocument, user: UserDocument): Promise<void> {
  await user.giveBackFromOrder(
    order._id.toString(),
    order.lines.map(({ productId, quantity }) => ({ productId, quantity })),
  );
  await serialized(`order:${order._id.toString()}`, () =>
    Order.updateOne({ _id: order._id, cartRestore: 'pending' }, { $set: { cartRestore: 'done' } }),
  );
}

/**
 * The user's orders with something left to do: a claim on the cart that may not be made yet, a
 * stock move not finished, or items of a failed payment not yet back in the cart (a crash, a
 * pause or a database failure in between). One query.
 */
export const pendingOrdersOf = (user: UserDocument) =>
  Order.find({
    userId: user._id,
    $or: [
      { cartSettled: false },
      { stockState: trusted({ $in: ['taking', 'voiding', 'returning'] }) },
      { cartRestore: 'pending' },
    ],
  }).sort({ createdAt: 1 });

/**
 * Finishes the user's pending orders; returns those whose items left the cart now (a checkout that
 * went through after all). Called before anything shows or changes the cart, so that an ordered
 * item is never shown, kept or bought again.
 */
export async function settlePendingOrders(user: UserDocument): Promise<OrderDocument[]> {
  const pending = await pendingOrdersOf(user);
  const placed: OrderDocument[] = [];
  for (const order of pending) if ((await finishOrder(order, user)) === 'placed') placed.push(order);
  return placed;
}

/** The user's cart version now (0 for a cart never changed). */
export async function cartVersionOf(user: UserDocument): Promise<number | undefined> {
  return (await User.findById(user._id).select('cart.version'))?.cart.version;
}
