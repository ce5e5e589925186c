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
 * An order's life: `placed` → `shipped` → `delivered`, or `cancelled` (by its customer while
 * placed, by an admin while placed or shipped). See services/orderStatus.ts.
 */
export const ORDER_STATUSES = ['placed', 'shipped', 'delivered', 'cancelled'] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

/** One change of status: to what, when, and by whom (as they were then). */
export interface StatusChange {
  status: OrderStatus;
  at: Date;
  by: { userId: Types.ObjectId | null; email: string | null; role: 'customer' | 'admin' };
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
  totalCents: Cents;
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

const statusChangeSchema = new Schema<StatusChange>(
  {
    status: { type: String, enum: ORDER_STATUSES, required: true },
    at: { type: Date, required: true },
    by: {
      userId: { type: Schema.Types.ObjectId, default: null },
      email: { type: String, default: null },
      role: { type: String, enum: ['customer', 'admin'], required: true },
    },
  },
  { _id: false },
);

const orderSchema = new Schema<OrderFields>(
  {
    number: { type: Number },
    status: { type: String, enum: ORDER_STATUSES, default: 'placed' },
    history: { type: [statusChangeSchema], default: [] },
    userId: { type: Schema.Types.ObjectId, ref: 'User', default: null },
    email: { type: String, default: null },
    lines: { type: [orderLineSchema], required: true },
    totalCents: { type: Number, required: true },
    cartVersion: { type: Number },
    cartSettled: { type: Boolean, default: false },
    stockState: { type: String, enum: STOCK_STATES },
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

// A new order takes the next number. A submission that turns out to be a double (the unique
// index refuses it) leaves a gap in the numbers, never a duplicate.
orderSchema.pre('save', async function numberNewOrder() {
  if (!this.isNew) return;
  if (this.number === undefined) this.number = await nextValue('orders');
  if (this.history.length === 0) {
    const by = { userId: this.userId, email: this.email, role: 'customer' as const };
    this.history.push({ status: 'placed', at: new Date(), by });
  }
});

/** "FG-00042". */
export const orderNumber = (order: Pick<OrderFields, 'number'>) => `FG-${String(order.number ?? 0).padStart(5, '0')}`;

export const lineTotal = (line: OrderLine): Cents => line.priceCents * line.quantity;

export const Order = model<OrderFields>('Order', orderSchema);
export type OrderDocument = HydratedDocument<OrderFields>;
