import type { TestPay } from '../testPay';
import { FERNHILL_SIGNATURE_HEADER, verifyWebhook } from '../testPay/signature';
import {
  PaymentProviderError,
  WEBHOOK_TOLERANCE_SECONDS,
  WebhookRejectedError,
  type PaymentEvent,
  type PaymentProvider,
} from './provider';

/** The body of a Test Pay webhook (src/testPay/, its documentation). */
interface TestPayEventBody {
  id: string;
  type: PaymentEvent['type'];
  created: number;
  data: { paymentId: string; reference: string; failureReason?: string; refundId?: string };
}

const EVENT_TYPES: ReadonlySet<string> = new Set(['payment.succeeded', 'payment.failed', 'refund.succeeded']);

function isEventBody(value: unknown): value is TestPayEventBody {
  const body = value as Partial<TestPayEventBody> | null;
  return (
    typeof body === 'object' &&
    body !== null &&
    typeof body.id === 'string' &&
    typeof body.type === 'string' &&
    typeof body.created === 'number' &&
    typeof body.data?.paymentId === 'string' &&
    typeof body.data.reference === 'string'
  );
}

/**
 * The shop's side of Fernhill Test Pay: its API for payments and refunds, and the check of its
 * webhooks' signatures with the secret the two share (TEST_PAY_WEBHOOK_SECRET), as with any provider.
 */
export function testPayProvider(testPay: TestPay, webhookSecret: string): PaymentProvider {
  return {
    name: 'test-pay',
    async createPayment(input) {
      try {
        const { id, url } = await testPay.createPayment({
          amountCents: input.amountCents,
          currency: input.currency,
          description: input.description,
          reference: input.orderId,
          customerEmail: input.customerEmail,
          returnUrl: input.returnUrl,
          cancelUrl: input.cancelUrl,
          expiresAt: input.expiresAt,
          idempotencyKey: input.idempotencyKey,
        });
        return { paymentId: id, paymentPageUrl: url };
      } catch (err) {
        throw new PaymentProviderError('Test Pay could not create the payment', { cause: err });
      }
    },
    async refundPayment(input) {
      try {
        return await testPay.refund(input);
      } catch (err) {
        throw new PaymentProviderError('Test Pay could not refund the payment', { cause: err });
      }
    },
    readWebhook(rawBody, headers, now = new Date()) {
      const signature = headers[FERNHILL_SIGNATURE_HEADER.toLowerCase()];
      if (
        !verifyWebhook(
          webhookSecret,
          rawBody,
          typeof signature === 'string' ? signature : undefined,
          now,
          WEBHOOK_TOLERANCE_SECONDS,
        )
      ) {
        throw new WebhookRejectedError('the Fernhill-Signature does not match, or its timestamp is too far off');
      }
      let body: unknown;
      try {
        body = JSON.parse(rawBody.toString('utf8'));
      } catch {
        throw new WebhookRejectedError('the body is not JSON');
      }
      if (!isEventBody(body)) throw new WebhookRejectedError('the body is not a Test Pay event');
      if (!EVENT_TYPES.has(body.type)) return null;
      return {
        id: body.id,
        type: body.type,
        paymentId: body.data.paymentId,
        orderId: body.data.reference,
        failureReason: body.data.failureReason,
        refundId: body.data.refundId,
        createdAt: new Date(body.created * 1000),
      };
    },
  };
}
