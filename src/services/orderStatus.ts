import { isObjectIdOrHexString, trusted } from 'mongoose';
import { serialized } from '../db';
import { HttpError, notFound } from '../lib/HttpError';
import { Order, STATUS_LABELS, type OrderDocument, type OrderStatus, type StatusChange } from '../models/Order';
import type { UserDocument } from '../models/User';
import { finishStockMove } from './stock';

type Actor = Pick<UserDocument, '_id' | 'email' | 'role'>;

/** Which statuses each role may move an order to, and from which. */
const ALLOWED: Record<Actor['role'], Partial<Record<OrderStatus, OrderStatus[]>>> = {
  customer: { cancelled: ['paid'] },
  admin: { shipped: ['paid'], delivered: ['shipped'], cancelled: ['paid', 'shipped'] },
};

/** The statuses `actor` may move an order in `status` to (for the forms). */
export function nextStatuses(status: OrderStatus, actor: Pick<Actor, 'role'>): OrderStatus[] {
  return Object.entries(ALLOWED[actor.role])
    .filter(([, from]) => from.includes(status))
    .map(([to]) => to as OrderStatus);
}

/** Another request changed the order first: the answer says what it is now. */
export class OrderStatusConflictError extends HttpError {
  constructor(order: OrderDocument, wanted: OrderStatus) {
    super(
      409,
      `This order is ${STATUS_LABELS[order.status]} now, so it cannot be marked ${STATUS_LABELS[wanted]}. ` +
        'Reload the page to see it as it is.',
    );
  }
}

/** The order with this id, if `actor` may see it (its customer, or an admin); 404 for anyone else. */
export async function findVisibleOrder(id: unknown, actor: Actor): Promise<OrderDocument> {
  if (typeof id !== 'string' || !isObjectIdOrHexString(id)) throw notFound('Order');
  const order = await Order.findById(id);
  if (!order || (actor.role !== 'admin' && !order.userId?.equals(actor._id))) throw notFound('Order');
  return order;
}

/**
 * Moves an order to `to`, if `actor` may and the order is still in a status it may be moved from.
 * One conditional update on the current status decides: of two admins acting at once, one wins
 * and the other gets a 409 that names the status the order has now. Resolves to the order as
 * it was before the change. Cancelling gives the order's stock back, once, and refunds its payment
 * (decided by the same update, asked of the provider by `refunds`).
 */
export async function changeOrderStatus(
  order: OrderDocument,
  to: OrderStatus,
  actor: Actor,
  refunds: { requestRefund(order: OrderDocument): Promise<void> },
): Promise<OrderDocument> {
  const from = ALLOWED[actor.role][to];
  if (!from) throw new HttpError(403, 'You may not change this order that way.');
  const change: StatusChange = {
    status: to,
    at: new Date(),
    by: { userId: actor._id, email: actor.email, role: actor.role },
  };
  const inStatus = { _id: order._id, status: trusted({ $in: from }) };
  // A paid order's money goes back with it; an order from before payments (provider `none`) has none.
  const refund =
    to === 'cancelled' && order.payment?.id && order.payment.paidAt
      ? {
          'payment.refund': {
            state: 'requested',
            reason: 'cancelled',
            amountCents: order.totalCents,
            requestedAt: change.at,
          },
        }
      : {};
  const before = await serialized(
    `order:${order._id.toString()}`,
    async () =>
      // A cancellation marks the stock to give back in the same update that wins the change, so
      // of two cancellations at once only the winner gives it back.
      (await Order.findOneAndUpdate(
        { ...inStatus, stockState: 'taken' },
        {
          $set: { status: to, ...(to === 'cancelled' ? { stockState: 'returning' } : {}), ...refund },
          $push: { history: change },
        },
      )) ??
      // Orders placed before stock was kept took none, so give none back.
      Order.findOneAndUpdate(
        { ...inStatus, stockState: trusted({ $exists: false }) },
        { $set: { status: to, ...refund }, $push: { history: change } },
      ),
  );
  if (!before) {
    const now = await Order.findById(order._id);
    if (!now) throw notFound('Order');
    throw new OrderStatusConflictError(now, to);
  }
  // A crash here leaves it `returning`: the customer's next visit to the cart finishes it.
  if (to === 'cancelled') {
    const cancelled = await Order.findById(before._id);
    if (cancelled && before.stockState === 'taken') await finishStockMove(cancelled);
    // A failure is logged and retried by the payments sweep.
    if (cancelled) await refunds.requestRefund(cancelled);
  }
  return before;
}
