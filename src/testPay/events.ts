import { createHash } from 'node:crypto';

export type WebhookEventType = 'payment.succeeded' | 'payment.failed' | 'refund.succeeded';

/** What a webhook's JSON body holds. */
export interface WebhookEvent {
  id: string;
  type: WebhookEventType;
  /** When it happened, in Unix seconds. */
  created: number;
  data: {
    paymentId: string;
    /** The shop's reference given at creation (its order id). */
    reference: string;
    /** The payment's amount. */
    amountCents: number;
    currency: string;
    /** On `payment.failed`: why, in words for the customer. */
    failureReason?: string;
    /** On `refund.succeeded`. */
    refundId?: string;
    /** On `refund.succeeded`: this refund's amount (each refund has an event of its own). */
    refundedCents?: number;
  };
}

/**
 * An event's id, derived from what it reports rather than drawn at random: when the process dies
 * between deciding a payment (or recording a refund) and storing its event, the retried request
 * stores the same event again, not a second one with another id.
 */
const eventId = (happening: string) => `evt_${createHash('sha256').update(happening).digest('base64url').slice(0, 24)}`;

const unixSeconds = (date: Date) => Math.floor(date.getTime() / 1000);

interface PaymentFacts {
  _id: string;
  reference: string;
  amountCents: number;
  currency: string;
}

/** The event of a payment's final outcome. */
export function outcomeEvent(
  payment: PaymentFacts & { state: 'succeeded' | 'failed'; failureReason: string | null; decidedAt: Date },
): WebhookEvent {
  const type = payment.state === 'succeeded' ? 'payment.succeeded' : 'payment.failed';
  return {
    id: eventId(`${payment._id}:${type}`),
    type,
    created: unixSeconds(payment.decidedAt),
    data: {
      paymentId: payment._id,
      reference: payment.reference,
      amountCents: payment.amountCents,
      currency: payment.currency,
      ...(payment.state === 'failed' && { failureReason: payment.failureReason ?? 'The payment failed.' }),
    },
  };
}

/** The event of one refund. */
export function refundEvent(
  payment: PaymentFacts,
  refund: { id: string; amountCents: number; createdAt: Date },
): WebhookEvent {
  return {
    id: eventId(`${refund.id}:refund.succeeded`),
    type: 'refund.succeeded',
    created: unixSeconds(refund.createdAt),
    data: {
      paymentId: payment._id,
      reference: payment.reference,
      amountCents: payment.amountCents,
      currency: payment.currency,
      refundId: refund.id,
      refundedCents: refund.amountCents,
    },
  };
}
