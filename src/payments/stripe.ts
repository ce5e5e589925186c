import type { IncomingHttpHeaders } from 'node:http';
import Stripe from 'stripe';
import { messageOf } from '../lib/messageOf';
import {
  PaymentProviderError,
  WEBHOOK_TOLERANCE_SECONDS,
  WebhookRejectedError,
  type CreatePaymentInput,
  type PaymentEvent,
  type PaymentProvider,
} from './provider';

export interface StripeProviderOptions {
  /** The account's secret key (sk_live_… or sk_test_…). */
  secretKey: string;
  /** The signing secret of the webhook endpoint (whsec_…). */
  webhookSecret: string;
  /** for tests: Stripe's httpClient option */
  httpClient?: Stripe.HttpClient;
  /** The shop's clock: the Checkout Session's expiry and the webhooks' timestamps are measured against it. */
  now?: () => Date;
}

const MINUTE_MS = 60_000;
/** Stripe accepts a Checkout Session's expires_at from 30 minutes to 24 hours after it creates the session. */
const SESSION_LIFETIME_MIN_MS = 30 * MINUTE_MS;
const SESSION_LIFETIME_MAX_MS = 24 * 60 * MINUTE_MS;
/** Kept inside Stripe's range by this much: its clock and the request's time on the wire are not ours. */
const CLOCK_MARGIN_MS = MINUTE_MS;

const FAILURE_REASONS = {
  expired: 'The payment was not completed in time.',
  asyncPaymentFailed: 'Your payment did not go through. Please try again with another payment method.',
} as const;

/** Fernhill Goods' payments through Stripe Checkout: a Checkout Session is the shop's payment. */
export function stripeProvider(options: StripeProviderOptions): PaymentProvider {
  const { webhookSecret } = options;
  const clock = options.now ?? (() => new Date());
  // Two retries (every POST carries an Idempotency-Key, so a retry never pays twice), each within
  // 15 s rather than the SDK's 80: a customer is waiting on the checkout's answer.
  const stripe = new Stripe(options.secretKey, {
    maxNetworkRetries: 2,
    timeout: 15_000,
    ...(options.httpClient ? { httpClient: options.httpClient } : {}),
  });

  return {
    name: 'stripe',

    async createPayment(input) {
      const params: Stripe.Checkout.SessionCreateParams = {
        mode: 'payment',
        line_items: [
          {
            quantity: 1,
            price_data: {
              currency: input.currency,
              unit_amount: input.amountCents,
              product_data: { name: input.description },
            },
          },
        ],
        ...(input.customerEmail ? { customer_email: input.customerEmail } : {}),
        client_reference_id: input.orderId,
        metadata: { orderId: input.orderId },
        // On the PaymentIntent too, so that it names the order in the Dashboard and in its own events.
        payment_intent_data: { metadata: { orderId: input.orderId } },
        success_url: input.returnUrl,
        cancel_url: input.cancelUrl,
        expires_at: Math.floor(sessionExpiry(input, clock()).getTime() / 1000),
      };
      let session: Stripe.Checkout.Session;
      try {
        session = await stripe.checkout.sessions.create(params, { idempotencyKey: input.idempotencyKey });
      } catch (error) {
        throw new PaymentProviderError(
          `Stripe did not create a Checkout Session for order ${input.orderId}: ${describeStripeError(error)}`,
          { cause: error },
        );
      }
      // Only an embedded-mode session has no url; this one is hosted.
      if (!session.url) throw new PaymentProviderError(`Stripe's Checkout Session ${session.id} came without a url`);
      return { paymentId: session.id, paymentPageUrl: session.url };
    },

    async refundPayment({ paymentId, amountCents, idempotencyKey }) {
      try {
        const session = await stripe.checkout.sessions.retrieve(paymentId);
        const paymentIntent =
          typeof session.payment_intent === 'string' ? session.payment_intent : session.payment_intent?.id;
        if (!paymentIntent) {
          throw new PaymentProviderError(`Stripe's Checkout Session ${paymentId} has no payment to refund`);
        }
        const orderId = orderIdOf(session);
        const refund = await stripe.refunds.create(
          {
            payment_intent: paymentIntent,
            amount: amountCents,
            // The refund's events carry only the refund: these let them name the shop's payment and order.
            metadata: { paymentId, ...(orderId ? { orderId } : {}) },
          },
          { idempotencyKey },
        );
        return { refundId: refund.id };
      } catch (error) {
        if (error instanceof PaymentProviderError) throw error;
        throw new PaymentProviderError(
          `Stripe did not refund its Checkout Session ${paymentId}: ${describeStripeError(error)}`,
          { cause: error },
        );
      }
    },

    readWebhook(rawBody, headers, now = clock()) {
      const event = verifiedEvent(stripe, rawBody, headers, webhookSecret, now);
      return paymentEventOf(event);
    },
  };
}

/**
 * When Stripe should stop taking the payment: the end of the order's stock hold where Stripe allows
 * it. Stripe wants 30 minutes to 24 hours, so a short hold is outlived by its session: a payment may
 * then succeed after the shop's hold ended, and the shop refunds such a late payment.
 *
 * A too-early end is pushed out in whole 30-minute steps rather than to "now + 30 minutes", so that
 * the same order sent again a little later gets the same expires_at: Stripe answers a repeated
 * Idempotency-Key with the session it made only when the parameters are the same (otherwise with an
 * idempotency_error). Only a resend that crosses a step (in the hold's last minute, or a long hold
 * first sent just before 31 minutes remain) still differs.
 */
function sessionExpiry({ expiresAt }: Pick<CreatePaymentInput, 'expiresAt'>, now: Date): Date {
  const earliest = now.getTime() + SESSION_LIFETIME_MIN_MS + CLOCK_MARGIN_MS;
  const latest = now.getTime() + SESSION_LIFETIME_MAX_MS - CLOCK_MARGIN_MS;
  const holdEnd = expiresAt.getTime();
  const steps = holdEnd < earliest ? Math.ceil((earliest - holdEnd) / SESSION_LIFETIME_MIN_MS) : 0;
  // Holds longer than a day are not the shop's; the latest Stripe allows is the nearest to one.
  return new Date(Math.min(holdEnd + steps * SESSION_LIFETIME_MIN_MS, latest));
}

/**
 * Stripe's own check, told the shop's time: constructEvent takes the moment the webhook was received
 * (`receivedAt`, in milliseconds; without it Date.now()). It rejects only a timestamp too old, so one
 * too far in the future (a clock off, or a signature made ahead) is refused here.
 */
function verifiedEvent(
  stripe: Stripe,
  rawBody: Buffer,
  headers: IncomingHttpHeaders,
  webhookSecret: string,
  now: Date,
): Stripe.Event {
  const signature = headers['stripe-signature'];
  if (typeof signature !== 'string' || signature === '') {
    throw new WebhookRejectedError('The webhook has no Stripe-Signature header');
  }
  let event: Stripe.Event;
  try {
    event = stripe.webhooks.constructEvent(
      rawBody,
      signature,
      webhookSecret,
      WEBHOOK_TOLERANCE_SECONDS,
      undefined, // the SDK's default crypto provider (Node's)
      now.getTime(),
    );
  } catch (error) {
    // A signature that does not hold, a timestamp too old, or a signed body that is not JSON.
    throw new WebhookRejectedError(`A webhook refused: ${describeStripeError(error)}`, {
      cause: error,
    });
  }
  const signedAt = signedTimestampOf(signature);
  if (!Number.isFinite(signedAt) || signedAt - now.getTime() / 1000 > WEBHOOK_TOLERANCE_SECONDS) {
    throw new WebhookRejectedError(`A webhook refused: signed at t=${signedAt}, ahead of ${now.toISOString()}`);
  }
  // Signed, so Stripe's; still checked to be an event before anything is read from it.
  const body: unknown = event;
  if (typeof body !== 'object' || body === null || typeof event.type !== 'string') {
    throw new WebhookRejectedError('A webhook refused: its body is not a Stripe event');
  }
  return event;
}

/** The header's `t=`, read as Stripe's verifier reads it (the last one counts), so both check the same moment. */
function signedTimestampOf(signatureHeader: string): number {
  let timestamp = Number.NaN;
  for (const item of signatureHeader.split(',')) {
    const [key, value = ''] = item.split('=');
    if (key === 't') timestamp = parseInt(value, 10);
  }
  return timestamp;
}

/**
 * The event as the shop knows it, or null for one it does not act on. A session or refund that names
 * no order of the shop's (one made in the Dashboard, by a payment link or by another integration on
 * the same account) is also null: it is Stripe's, signed, and sending it again would not change it.
 */
function paymentEventOf(event: Stripe.Event): PaymentEvent | null {
  const base = { id: event.id, createdAt: new Date(event.created * 1000) };
  switch (event.type) {
    case 'checkout.session.completed':
      // 'unpaid' is a delayed method (a bank debit) still on its way: async_payment_succeeded or _failed follows.
      if (event.data.object.payment_status !== 'paid') return null;
      return sessionEvent(base, event.data.object, 'payment.succeeded');
    case 'checkout.session.async_payment_succeeded':
      return sessionEvent(base, event.data.object, 'payment.succeeded');
    case 'checkout.session.async_payment_failed':
      return sessionEvent(base, event.data.object, 'payment.failed', FAILURE_REASONS.asyncPaymentFailed);
    case 'checkout.session.expired':
      return sessionEvent(base, event.data.object, 'payment.failed', FAILURE_REASONS.expired);
    case 'refund.created':
    case 'refund.updated': {
      // A card refund is usually 'succeeded' when created; others go 'pending' first and succeed in an update.
      const refund = event.data.object;
      const paymentId = refund.metadata?.paymentId;
      const orderId = refund.metadata?.orderId;
      if (refund.status !== 'succeeded' || !paymentId || !orderId) return null;
      return { ...base, type: 'refund.succeeded', paymentId, orderId, refundId: refund.id };
    }
    default:
      return null;
  }
}

function sessionEvent(
  base: Pick<PaymentEvent, 'id' | 'createdAt'>,
  session: Stripe.Checkout.Session,
  type: PaymentEvent['type'],
  failureReason?: string,
): PaymentEvent | null {
  const orderId = orderIdOf(session);
  if (!orderId) return null;
  return { ...base, type, paymentId: session.id, orderId, ...(failureReason ? { failureReason } : {}) };
}

function orderIdOf(session: Stripe.Checkout.Session): string | undefined {
  return session.client_reference_id ?? session.metadata?.orderId ?? undefined;
}

/** For the log: Stripe's message (it starts with the request id its support asks for), error class, status and code. */
function describeStripeError(error: unknown): string {
  if (!(error instanceof Stripe.errors.StripeError)) return messageOf(error);
  const facts = [error.type, error.statusCode && `HTTP ${error.statusCode}`, error.code].filter(Boolean);
  return `${error.message} (${facts.join(', ')})`;
}
