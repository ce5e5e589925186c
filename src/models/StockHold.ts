import { Schema, model, type Types } from 'mongoose';

/**
 * The stock an order awaiting payment holds, until `expiresAt` (services/payments.ts). The stock
 * itself was taken from the products when the order was placed (models/stock.ts), so nobody else
 * can buy it meanwhile; this document says until when, for whom. A hold is live while its
 * document exists and `expiresAt` is ahead: lapsed ones are deleted through the database module's
 * `expireDocuments`, and the payments sweep gives their orders' stock back (readers check the time
 * themselves: neither the TTL monitor nor the sweeper deletes at the very moment).
 * It lives in the database, never in a session: ending the customer's sessions leaves it be.
 */
export interface StockHoldFields {
  /** The order's id. */
  _id: Types.ObjectId;
  userId: Types.ObjectId;
  lines: Array<{ productId: Types.ObjectId; quantity: number }>;
  expiresAt: Date;
}

const stockHoldSchema = new Schema<StockHoldFields>({
  userId: { type: Schema.Types.ObjectId, required: true },
  lines: {
    type: [new Schema({ productId: Schema.Types.ObjectId, quantity: Number }, { _id: false })],
    required: true,
  },
  expiresAt: { type: Date, required: true },
});

export const StockHold = model<StockHoldFields>('StockHold', stockHoldSchema);
