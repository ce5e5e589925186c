import { Schema, model, type HydratedDocument, type Types } from 'mongoose';
import type { Cents } from '../lib/money';

/** What was bought, copied at the time of the order: later edits or deletions change nothing. */
export interface OrderLine {
  productId: Types.ObjectId;
  title: string;
  priceCents: Cents;
  quantity: number;
}

export interface OrderFields {
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
  /** Whether the ordered items have been taken out of the cart (see services/checkout.ts). */
  cartSettled: boolean;
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

const orderSchema = new Schema<OrderFields>(
  {
    userId: { type: Schema.Types.ObjectId, ref: 'User', default: null },
    email: { type: String, default: null },
    lines: { type: [orderLineSchema], required: true },
    totalCents: { type: Number, required: true },
    cartVersion: { type: Number },
    cartSettled: { type: Boolean, default: false },
  },
  { timestamps: { createdAt: true, updatedAt: false } },
);

// A user's orders, newest first; and at most one order per cart version. Sparse, so that the
// orders of deleted accounts (without either field) do not collide.
orderSchema.index({ userId: 1, createdAt: -1 });
orderSchema.index({ userId: 1, cartVersion: 1 }, { unique: true, sparse: true, name: ONE_ORDER_PER_CART_VERSION });

export const lineTotal = (line: OrderLine): Cents => line.priceCents * line.quantity;

export const Order = model<OrderFields>('Order', orderSchema);
export type OrderDocument = HydratedDocument<OrderFields>;
