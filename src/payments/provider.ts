import type { IncomingHttpHeaders } from 'node:http';
import type { Cents } from '../lib/money';

/**
 * What the shop learns from a payment provider, only ever through a signed webhook. Providers
 * deliver at least once and in any order: `id` is unique per event (the shop records each once),
 * and the shop applies each as a conditional update on the order's current state.
 */
export interface PaymentEvent {
  /** Unique per event, across retries of its delivery. */
  id: string;
  type: 'payment.succeeded' | 'payment.failed' | 'refund.succeeded';
  /** The provider's id of the payment (Test Pay's payment, Stripe's Checkout Session). */
  paymentId: string;
  /** The shop's order id, as given when the payment was created. */
  orderId: string;
  /** Why a payment failed, in words a customer understands ("Your card was declined."). */
  failureReason?: string;
  /** The refund's id, on `refund.succeeded`. */
  refundId?: string;
  /** When the provider says the event happened. */
  createdAt: Date;
}

export interface CreatePaymentInput {
  /** The shop's order id: every event of this payment names it. */
  orderId: string;
  /** Shown on the payment page ("Order FG-00042"). */
  description: string;
  amountCents: Cents;
  /** ISO 4217, lower case ("usd"). */
  currency: string;
  customerEmail: string | null;
  /** Where the payment page sends the customer once they paid or gave up. */
  returnUrl: string;
  /** Where the payment page's "back to the shop" link goes without paying. */
  cancelUrl: string;
  /** The end of the order's stock hold: the provider refuses to take the payment after it (where it can). */
  expiresAt: Date;
  /** Sent as the provider's Idempotency-Key: the same key creates one payment, however often sent. */
  idempotencyKey: string;
}

export interface CreatedPayment {
  paymentId: string;
  /** The provider's hosted payment page for this payment, where the shop sends the customer. */
  paymentPageUrl: string;
}

export interface RefundInput {
  paymentId: string;
  amountCents: Cents;
  /** The same key makes one refund, however often sent. */
  idempotencyKey: string;
}

/** A webhook that is not the provider's (bad or missing signature, stale timestamp) or not readable: answered 400. */
export class WebhookRejectedError extends Error {
  override name = 'WebhookRejectedError';
}

/** The provider refused or failed a request (it is down, or said no); the message is for the log. */
export class PaymentProviderError extends Error {
  override name = 'PaymentProviderError';
}

/** One payment provider, as the shop uses it. Implementations: Fernhill Test Pay (testPay.ts), Stripe (stripe.ts). */
export interface PaymentProvider {
  readonly name: 'test-pay' | 'stripe';
  /** Creates (or, with a key seen before, finds) the payment; throws PaymentProviderError. */
  createPayment(input: CreatePaymentInput): Promise<CreatedPayment>;
  /** Refunds (part of) a succeeded payment; the `refund.succeeded` webhook follows. Throws PaymentProviderError. */
  refundPayment(input: RefundInput): Promise<{ refundId: string }>;
  /**
   * Checks a webhook's signature and timestamp (at most 5 minutes off `now`) over the raw body and
   * reads its event. Throws WebhookRejectedError for a forged, stale or unreadable one; null for
   * an event type the shop does not act on (answered 2xx, so that it is not sent again).
   */
  readWebhook(rawBody: Buffer, headers: IncomingHttpHeaders, now?: Date): PaymentEvent | null;
}

/** How far a webhook's signed timestamp may be from the shop's clock. */
export const WEBHOOK_TOLERANCE_SECONDS = 5 * 60;
