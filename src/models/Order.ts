import { Schema, model, type HydratedDocument, type Types } from 'mongoose';
import type { Cents } from '../lib/money';
import { nextValue } from './Counter';

/** What was bought, copied at the time of the order: later edits or deletions change nothing. */
export interface OrderLine {
  productId: Types.ObjectId;
  title: string;
  priceCents: Cents;
  quantity: number;
}

/**
 * An order's life: `awaiting_payment` (its stock held) → `paid` → `shipped` → `delivered`; or
 * `payment_failed` (declined, or the hold lapsed: its stock and cart items given back), or
 * `cancelled` (by its customer while paid, by an admin while paid or shipped: refunded). See
 * services/orderStatus.ts and services/payments.ts. Orders of the shop before payments were
 * `placed`: migrations.ts makes them `paid` (accepted without online payment).
 */
export const ORDER_STATUSES = [
  'awaiting_payment',
  'paid',
  'shipped',
  'delivered',
  'payment_failed',
  'cancelled',
] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

/** What a status is called on pages and in mails. */
export const STATUS_LABELS: Record<OrderStatus, string> = {
  awaiting_payment: 'awaiting payment',
  paid: 'paid',
  shipped: 'shipped',
  delivered: 'delivered',
  payment_failed: 'payment failed',
  cancelled: 'cancelled',
};

/** Statuses of the past, kept in orders' histories. */
type FormerStatus = 'placed';

export const SHIPPING_METHODS = ['standard', 'express'] as const;
export type ShippingMethod = (typeof SHIPPING_METHODS)[number];

/** Where an order goes, as the customer typed it (validation/checkout.ts). */
export interface DeliveryAddress {
  name: string;
  line1: string;
  line2: string;
  city: string;
  postcode: string;
  country: string;
}

/**
 * The order's payment with its provider. `provider: 'none'` for orders from before payments. A
 * refund is asked for once (`refund.state` set by the update that cancels the order, or that finds
 * a payment arriving for an order that is no longer waiting for it); `refund.id` once the provider
 * accepted it; `refunded` once its webhook confirmed it.
 */
export interface OrderPayment {
  provider: 'test-pay' | 'stripe' | 'none';
  /** The provider's payment id (Test Pay's pay_…, Stripe's Checkout Session cs_…). */
  id?: string;
  /** Where the customer pays, until the hold ends. */
  pageUrl?: string;
  paidAt?: Date;
  failureReason?: string;
  refund?: {
    state: 'requested' | 'refunded';
    amountCents: Cents;
    requestedAt: Date;
    /** Why: `cancelled`, or `late` (paid after the order stopped waiting for it). */
    reason: 'cancelled' | 'late';
    id?: string;
    refundedAt?: Date;
  };
}

/** One change of status: to what, when, and by whom (as they were then). */
export interface StatusChange {
  status: OrderStatus | FormerStatus;
  at: Date;
  /** `shop`: the shop itself (a payment's webhook, a lapsed hold). */
  by: { userId: Types.ObjectId | null; email: string | null; role: 'customer' | 'admin' | 'shop' };
}

/**
 * Where an order's stock move stands (services/stock.ts): `taking` from the products when it is
 * written, then decided once, by a conditional update: `taken` when every line was, or `voiding`
 * when a line fell short (or the order lost its cart), and such an order is deleted once what it
 * took is back. `returning` when it is cancelled, `returned` once every line is back. Unset on
 * orders placed before stock was kept: they took none, so give none back.
 */
export const STOCK_STATES = ['taking', 'taken', 'voiding', 'returning', 'returned'] as const;
export type StockState = (typeof STOCK_STATES)[number];

export interface OrderFields {
  /** Shown to people (FG-00042): a sequence across all instances, never reused. */
  number: number;
  status: OrderStatus;
  history: StatusChange[];
  userId: Types.ObjectId | null;
  /** The email at the time of the order; removed (with userId) if the account is deleted. */
  email: string | null;
  lines: OrderLine[];
  /** The lines' sum plus shipping. */
  totalCents: Cents;
  address?: DeliveryAddress;
  shipping?: { method: ShippingMethod; priceCents: Cents };
  payment?: OrderPayment;
  /** Until when the order holds its stock while awaiting payment (services/holds.ts). */
  holdExpiresAt?: Date;
  /** The checkout form's one-time id (its Idempotency-Key): a repeat of the form finds this order. */
  checkoutKey?: string;
  /** The items of an order whose payment failed go back into the cart: `pending` until they are. */
  cartRestore?: 'pending' | 'done';
  /**
   * The cart version the order was made from. Unique per user, so a submission retried against
   * the same cart creates no second order. Removed, with `userId`, when the account is deleted.
   */
  cartVersion?: number;
  /**
   * Whether the order's claim on its cart version is known to be made (services/settlement.ts): the
   * ordered items are out of the cart. Until then the cart itself records the claim.
   */
  cartSettled: boolean;
  stockState?: StockState;
  createdAt: Date;
}

const ONE_ORDER_PER_CART_VERSION = 'one_order_per_cart_version';

const orderLineSchema = new Schema<OrderLine>(
  {
    productId: { type: Schema.Types.ObjectId, required: true },
    title: { type: String, required: true },
    priceCents: { type: Number, required: true },
    quantity: { type: Number, required: true, min: 1 },
  },
  { _id: false },
);

const addressSchema = new Schema<DeliveryAddress>(
  {
    name: { type: String, required: true },
    line1: { type: String, required: true },
    line2: { type: String, default: '' },
    city: { type: String, required: true },
    postcode: { type: String, required: true },
    country: { type: String, required: true },
  },
  { _id: false },
);

const paymentSchema = new Schema<OrderPayment>(
  {
    provider: { type: String, enum: ['test-pay', 'stripe', 'none'], required: true },
    id: String,
    pageUrl: String,
    paidAt: Date,
    failureReason: String,
    refund: {
      type: new Schema(
        {
          state: { type: String, enum: ['requested', 'refunded'], required: true },
          amountCents: { type: Number, required: true },
          requestedAt: { type: Date, required: true },
          reason: { type: String, enum: ['cancelled', 'late'], required: true },
          id: String,
          refundedAt: Date,
        },
        { _id: false },
      ),
      default: undefined,
    },
  },
  { _id: false },
);

const statusChangeSchema = new Schema<StatusChange>(
  {
    status: { type: String, enum: [...ORDER_STATUSES, 'placed'], required: true },
    at: { type: Date, required: true },
    by: {
      userId: { type: Schema.Types.ObjectId, default: null },
      email: { type: String, default: null },
      role: { type: String, enum: ['customer', 'admin', 'shop'], required: true },
    },
  },
  { _id: false },
);

const orderSchema = new Schema<OrderFields>(
  {
    number: { type: Number },
    status: { type: String, enum: ORDER_STATUSES, default: 'awaiting_payment' },
    history: { type: [statusChangeSchema], default: [] },
    userId: { type: Schema.Types.ObjectId, ref: 'User', default: null },
    email: { type: String, default: null },
    lines: { type: [orderLineSchema], required: true },
    totalCents: { type: Number, required: true },
    cartVersion: { type: Number },
    cartSettled: { type: Boolean, default: false },
    stockState: { type: String, enum: STOCK_STATES },
    address: { type: addressSchema, default: undefined },
    shipping: {
      type: new Schema({ method: { type: String, enum: SHIPPING_METHODS }, priceCents: Number }, { _id: false }),
      default: undefined,
    },
    payment: { type: paymentSchema, default: undefined },
    holdExpiresAt: Date,
    checkoutKey: String,
    cartRestore: { type: String, enum: ['pending', 'done'] },
  },
  { timestamps: { createdAt: true, updatedAt: false } },
);

// A user's orders, newest first; and at most one order per cart version. Sparse, so that the
// orders of deleted accounts (without either field) do not collide.
orderSchema.index({ userId: 1, createdAt: -1 });
orderSchema.index({ userId: 1, cartVersion: 1 }, { unique: true, sparse: true, name: ONE_ORDER_PER_CART_VERSION });
// The admins' list: all orders or those of one status, newest first; the number finds one.
orderSchema.index({ createdAt: -1, _id: -1 });
orderSchema.index({ status: 1, createdAt: -1, _id: -1 });
orderSchema.index({ number: 1 }, { unique: true, sparse: true });
// A checkout form sent again (its Idempotency-Key) finds its order. Sent twice at once, both are
// made from one cart version, which `one_order_per_cart_version` keeps to one order.
orderSchema.index({ userId: 1, checkoutKey: 1 });
// Holds that lapsed, and refunds asked for but not yet accepted (services/payments.ts's sweep).
orderSchema.index({ status: 1, holdExpiresAt: 1 });
orderSchema.index({ 'payment.refund.state': 1 }, { sparse: true });
// A webhook names the provider's payment.
orderSchema.index({ 'payment.id': 1 }, { sparse: true });

// A new order takes the next number. A submission that turns out to be a double (the unique
// index refuses it) leaves a gap in the numbers, never a duplicate.
orderSchema.pre('save', async function numberNewOrder() {
  if (!this.isNew) return;
  if (this.number === undefined) this.number = await nextValue('orders');
  if (this.history.length === 0) {
    const by = { userId: this.userId, email: this.email, role: 'customer' as const };
    this.history.push({ status: this.status, at: new Date(), by });
  }
});

/** "FG-00042". */
export const orderNumber = (order: Pick<OrderFields, 'number'>) => `FG-${String(order.number ?? 0).padStart(5, '0')}`;

export const lineTotal = (line: OrderLine): Cents => line.priceCents * line.quantity;

export const Order = model<OrderFields>('Order', orderSchema);
export type OrderDocument = HydratedDocument<OrderFields>;
