import { Schema, model } from 'mongoose';

/**
 * A payment provider's webhook event, recorded once (the unique `eventId`: `_id` is not indexed on
 * every server) before it is applied, and marked once applied. Providers deliver at least once: a
 * repeat of an applied event changes nothing; a repeat of one recorded but not applied (a crash in
 * between) is applied then. Kept for `EVENT_RETENTION_SECONDS`, longer than any provider retries.
 */
export interface PaymentEventFields {
  eventId: string;
  type: string;
  orderId: string;
  receivedAt: Date;
  appliedAt: Date | null;
}

export const PAYMENT_EVENT_RETENTION_SECONDS = 30 * 24 * 60 * 60;

const paymentEventSchema = new Schema<PaymentEventFields>({
  eventId: { type: String, required: true, unique: true },
  type: { type: String, required: true },
  orderId: { type: String, required: true },
  receivedAt: { type: Date, required: true },
  appliedAt: { type: Date, default: null },
});

export const PaymentEvent = model<PaymentEventFields>('PaymentEvent', paymentEventSchema);
