import { isObjectIdOrHexString, trusted } from 'mongoose';
import { isDuplicateKeyError, serialized } from '../db';
import { crashPoint } from '../lib/faults';
import { HttpError } from '../lib/HttpError';
import type { SendMail } from '../lib/mailer';
import { Order, orderNumber, type OrderDocument, type OrderStatus, type StatusChange } from '../models/Order';
import { PaymentEvent } from '../models/PaymentEvent';
import { StockHold } from '../models/StockHold';
import { User } from '../models/User';
import type { PaymentEvent as ProviderEvent, PaymentProvider } from '../payments/provider';
import { paymentFailedMail, paymentReceivedMail, refundMadeMail } from './orderMail';
import { restoreCart } from './settlement';
import { finishStockMove } from './stock';

/**
 * An order's payment, from the hosted page to the refund, with no transaction and no lock: every
 * step that decides money or stock is one conditional update on the order's current state, checked
 * by its result, so any step may be repeated (a webhook delivered twice, a retry after a crash)
 * and the first one decides:
 *
 * - `awaiting_payment` → `paid` by a `payment.succeeded` event for the order's payment;
 * - `awaiting_payment` → `payment_failed` by a `payment.failed` event, or by the sweep once the
 *   order's hold lapsed; the same update marks its stock `returning` and its cart items `pending`,
 *   which settlement.ts and the sweep finish exactly once;
 * - a refund is asked for by the update that cancels a paid order (orderStatus.ts), or that finds a
 *   payment succeeding for an order no longer waiting for it (a "late" payment: it is never kept),
 *   and marked `refunded` by the provider's `refund.succeeded` event.
 *
 * A late `payment.failed` finds the order paid and changes nothing.
 */

export interface PaymentFlowDependencies {
  provider: PaymentProvider;
  sendMail: SendMail;
  appUrl: string;
  log: { warn(details: object, message: string): void; info(details: object, message: string): void };
}

/** The provider did not answer or refused: the order still holds its stock; the customer may try again. */
export class PaymentUnavailableError extends HttpError {
  constructor(order: OrderDocument) {
    super(
      503,
      `The payment service does not answer just now. Your order is saved and its items are held for you: ` +
        `try again from its page in a moment (/orders/${order._id.toString()}).`,
    );
  }
}

const orderKey = (orderId: unknown) => `order:${String(orderId)}`;
const byTheShop: StatusChange['by'] = { userId: null, email: null, role: 'shop' };
const change = (status: OrderStatus, at = new Date()): StatusChange => ({ status, at, by: byTheShop });

export function paymentFlow({ provider, sendMail, appUrl, log }: PaymentFlowDependencies) {
  /** Mails the order's customer; a failing mail server is logged (the mailer retries), never an error. */
  const tell = (order: OrderDocument, mail: { subject: string; text: string }) => {
    if (!order.email) return;
    sendMail({ to: order.email, ...mail }).catch((err: unknown) =>
      log.warn({ err, order: order._id.toString() }, 'could not mail the customer about their payment'),
    );
  };

  /**
   * The provider's payment page for the order, creating the payment on first call. The create call
   * carries the checkout form's one-time id as its Idempotency-Key (an order made without one, its
   * id), so that a double click, a retry after a timeout or a second tab makes one payment.
   * Throws PaymentUnavailableError when the provider fails.
   */
  async function paymentPageFor(order: OrderDocument): Promise<string> {
    if (order.payment?.pageUrl) return order.payment.pageUrl;
    const orderUrl = `${appUrl}/orders/${order._id.toString()}`;
    let created;
    try {
      created = await provider.createPayment({
        orderId: order._id.toString(),
        description: `Fernhill Goods order ${orderNumber(order)}`,
        amountCents: order.totalCents,
        currency: 'usd',
        customerEmail: order.email,
        returnUrl: orderUrl,
        cancelUrl: orderUrl,
        expiresAt: order.holdExpiresAt ?? new Date(),
        idempotencyKey: `checkout-${order.checkoutKey ?? order._id.toString()}`,
      });
    } catch (err) {
      log.warn({ err, order: order._id.toString() }, 'the payment provider could not create a payment');
      throw new PaymentUnavailableError(order);
    }
    const recorded = await serialized(orderKey(order._id), () =>
      Order.findOneAndUpdate(
        { _id: order._id, 'payment.id': trusted({ $exists: false }) },
        { $set: { 'payment.id': created.paymentId, 'payment.pageUrl': created.paymentPageUrl } },
        { new: true },
      ),
    );
    // Recorded by a concurrent call first: the same payment (same key), its record stands.
    const now = recorded ?? (await Order.findById(order._id));
    return now?.payment?.pageUrl ?? created.paymentPageUrl;
  }

  /**
   * Ends an order that waited for its payment in vain (declined, or its hold lapsed): its stock
   * goes back and its items into the cart, once. Resolves to whether this call ended it.
   */
  async function failPayment(orderId: unknown, reason: string, paymentId?: string): Promise<boolean> {
    const failed = await serialized(orderKey(orderId), () =>
      Order.findOneAndUpdate(
        {
          _id: orderId,
          status: 'awaiting_payment',
          // Only a placed order holds stock; one still being placed is settlement's to finish.
          stockState: 'taken',
          ...(paymentId ? { 'payment.id': paymentId } : {}),
        },
        {
          $set: {
            status: 'payment_failed',
            stockState: 'returning',
            cartRestore: 'pending',
            'payment.failureReason': reason,
          },
          $push: { history: change('payment_failed') },
        },
        { new: true },
      ),
    );
    if (!failed) return false;
    crashPoint('payment:failed-decided');
    await finishRelease(failed);
    tell(failed, paymentFailedMail(failed, reason, appUrl));
    return true;
  }

  /** The rest of a failed payment's release, repeatable: stock back, items back, hold gone. */
  async function finishRelease(order: OrderDocument): Promise<void> {
    await finishStockMove(order);
    if (order.cartRestore === 'pending') {
      const user = order.userId && (await User.findById(order.userId));
      if (user) await restoreCart(order, user);
      // The account was deleted meanwhile: there is no cart to give the items back to.
      else await Order.updateOne({ _id: order._id, cartRestore: 'pending' }, { $set: { cartRestore: 'done' } });
    }
    await StockHold.deleteOne({ _id: order._id });
  }

  /**
   * Asks the provider for an order's refund, which an update has decided (`payment.refund`
   * requested, without an id yet). Its Idempotency-Key is the order's: asked again after a crash
   * or a failure, the provider makes one refund. A failure is logged; the sweep asks again.
   */
  async function requestRefund(order: OrderDocument): Promise<void> {
    const refund = order.payment?.refund;
    if (!order.payment?.id || !refund || refund.state !== 'requested' || refund.id) return;
    try {
      const { refundId } = await provider.refundPayment({
        paymentId: order.payment.id,
        amountCents: refund.amountCents,
        idempotencyKey: `refund-${order._id.toString()}`,
      });
      await serialized(orderKey(order._id), () =>
        Order.updateOne(
          { _id: order._id, 'payment.refund.id': trusted({ $exists: false }) },
          { $set: { 'payment.refund.id': refundId } },
        ),
      );
    } catch (err) {
      log.warn({ err, order: order._id.toString() }, 'the payment provider could not refund; the sweep asks again');
    }
  }

  async function paymentSucceeded(event: ProviderEvent): Promise<void> {
    const paid = await serialized(orderKey(event.orderId), () =>
      Order.findOneAndUpdate(
        { _id: event.orderId, status: 'awaiting_payment', 'payment.id': event.paymentId },
        { $set: { status: 'paid', 'payment.paidAt': event.createdAt }, $push: { history: change('paid') } },
        { new: true },
      ),
    );
    if (paid) {
      await StockHold.deleteOne({ _id: paid._id });
      tell(paid, paymentReceivedMail(paid, appUrl));
      return;
    }
    // The order stopped waiting for it (its hold lapsed, or a decline came first): the money is
    // never kept without the goods. Decided once, by the update that records the refund.
    const order = await Order.findById(event.orderId).select('totalCents');
    if (!order) return;
    const late = await serialized(orderKey(event.orderId), () =>
      Order.findOneAndUpdate(
        {
          _id: event.orderId,
          'payment.id': event.paymentId,
          status: trusted({ $in: ['payment_failed', 'cancelled'] }),
          'payment.refund': trusted({ $exists: false }),
        },
        {
          $set: {
            'payment.paidAt': event.createdAt,
            'payment.refund': {
              state: 'requested',
              reason: 'late',
              amountCents: order.totalCents,
              requestedAt: new Date(),
            },
          },
        },
        { new: true },
      ),
    );
    if (late) await requestRefund(late);
  }

  async function refundSucceeded(event: ProviderEvent): Promise<void> {
    const refunded = await serialized(orderKey(event.orderId), () =>
      Order.findOneAndUpdate(
        { _id: event.orderId, 'payment.id': event.paymentId, 'payment.refund.state': 'requested' },
        {
          $set: {
            'payment.refund.state': 'refunded',
            'payment.refund.refundedAt': event.createdAt,
            ...(event.refundId ? { 'payment.refund.id': event.refundId } : {}),
          },
        },
        { new: true },
      ),
    );
    if (refunded) tell(refunded, refundMadeMail(refunded, appUrl));
  }

  /**
   * Applies a provider's event (its signature checked by the caller): recorded by its unique id
   * first, so that a repeat of an applied event is answered without anything changing. Every
   * change it makes is conditional on the order's state, so applying one twice is harmless too
   * (a crash between the record and the change: the provider sends it again).
   */
  async function applyEvent(event: ProviderEvent): Promise<'applied' | 'duplicate' | 'unknown order'> {
    if (!isObjectIdOrHexString(event.orderId)) return 'unknown order';
    try {
      await PaymentEvent.create({
        eventId: event.id,
        type: event.type,
        orderId: event.orderId,
        receivedAt: new Date(),
      });
    } catch (err) {
      if (!isDuplicateKeyError(err)) throw err;
      const seen = await PaymentEvent.findOne({ eventId: event.id }).lean();
      if (seen?.appliedAt) return 'duplicate';
    }
    crashPoint('payment:event-recorded');
    if (!(await Order.exists({ _id: event.orderId }))) return 'unknown order';
    if (event.type === 'payment.succeeded') await paymentSucceeded(event);
    else if (event.type === 'payment.failed')
      await failPayment(event.orderId, event.failureReason ?? 'The payment did not go through.', event.paymentId);
    else await refundSucceeded(event);
    await PaymentEvent.updateOne({ eventId: event.id, appliedAt: null }, { $set: { appliedAt: new Date() } });
    return 'applied';
  }

  /**
   * What no request finishes by itself: orders whose hold lapsed (ended as failed payments),
   * failed payments whose stock or items are not all back (a crash in between), and refunds
   * decided but not yet accepted by the provider. Run every PAYMENT_SWEEP_INTERVAL; resolves to
   * how many of each it handled.
   */
  async function sweep(now = new Date()): Promise<{ lapsed: number; released: number; refunds: number }> {
    const lapsedOrders = await Order.find({
      status: 'awaiting_payment',
      holdExpiresAt: trusted({ $lt: now }),
    }).select('_id');
    let lapsed = 0;
    for (const { _id } of lapsedOrders) {
      if (await failPayment(_id, 'The time to pay ran out, so your items were released.')) lapsed += 1;
    }
    const unfinished = await Order.find({
      status: 'payment_failed',
      $or: [{ stockState: 'returning' }, { cartRestore: 'pending' }],
    });
    for (const order of unfinished) await finishRelease(order);
    const refunds = await Order.find({
      'payment.refund.state': 'requested',
      'payment.refund.id': trusted({ $exists: false }),
    });
    for (const order of refunds) await requestRefund(order);
    if (lapsed > 0) log.info({ lapsed }, 'released the stock of orders whose time to pay ran out');
    return { lapsed, released: unfinished.length, refunds: refunds.length };
  }

  return { paymentPageFor, applyEvent, requestRefund, sweep };
}

export type PaymentFlow = ReturnType<typeof paymentFlow>;
