/**
 * Fernhill Test Pay: an offline payment provider that behaves like another company's test mode.
 * The shop talks to it only through `createTestPay(...)`'s functions and hears of outcomes only
 * through signed webhooks, exactly as it would with Stripe. It depends on nothing of the shop.
 */
import type express from 'express';
import type { Db } from 'mongodb';
import { webhookDeliveries, postWithFetch, type SendWebhook, type TestPayChaos, type TestPayLog } from './deliveries';
import { outcomeEvent, refundEvent } from './events';
import { hostedPageRouter } from './router';
import { isDecided, paymentBook, type NewPayment, type PaymentDocument } from './payments';

export { TestPayError } from './payments';
export type { PaymentState as TestPayPaymentState } from './payments';
export type { TestPayChaos, TestPayLog, SendWebhook } from './deliveries';
export type { WebhookEvent, WebhookEventType } from './events';
export { FERNHILL_SIGNATURE_HEADER, signWebhook, verifyWebhook } from './signature';

export interface TestPayOptions {
  /** The database for Test Pay's collections, `testpay.payments` and `testpay.deliveries` (the shop: `() => mongoose.connection.db`). */
  db: () => Db;
  /** Signs every webhook. */
  webhookSecret: string;
  /** Where events are POSTed (the shop's `${APP_URL}/webhooks/payments`). */
  webhookUrl: string;
  /** Where customers reach the router, e.g. `${APP_URL}/test-pay`: a payment's page is `${publicUrl}/${paymentId}`. */
  publicUrl: string;
  /** POSTs a webhook and resolves to the status; rejects when the shop cannot be reached. Default: fetch. */
  send?: SendWebhook;
  /** Misbehaviour on purpose, for tests. */
  chaos?: ReadonlySet<TestPayChaos>;
  /** The clock, for tests. */
  now?: () => Date;
  /** Failed webhooks are sent again after firstDelayMs, doubling up to maxDelayMs, maxAttempts sends in all. */
  retry?: { firstDelayMs?: number; maxDelayMs?: number; maxAttempts?: number };
  log?: TestPayLog;
}

export interface TestPayRefund {
  id: string;
  amountCents: number;
  createdAt: Date;
}

/** A payment as Test Pay's API shows it: as stored, without its secrets (the page's token, the key). */
export type TestPayPayment = Omit<PaymentDocument, '_id' | 'token' | 'idempotencyKey' | 'refunds'> & {
  id: string;
  url: string;
  refunds: TestPayRefund[];
};

export interface TestPay {
  /** The hosted payment page; the shop mounts it at `/test-pay` (so that `publicUrl` reaches it). */
  router: express.Router;
  /** Creates the payment (or, with a key seen before, finds it); throws TestPayError when it refuses. */
  createPayment(input: NewPayment): Promise<{ id: string; url: string }>;
  /** Refunds (part of) a succeeded payment, once per key; `refund.succeeded` follows. Throws TestPayError when it refuses. */
  refund(input: { paymentId: string; amountCents: number; idempotencyKey: string }): Promise<{ refundId: string }>;
  payment(id: string): Promise<TestPayPayment | null>;
  /** Sends every undelivered webhook whose next attempt is due; never throws because the shop is down. */
  deliverDue(): Promise<{ delivered: number; failed: number }>;
  /** Runs `deliverDue` every `intervalMs` on a timer that keeps no process alive; returns what stops it. */
  startDelivering(intervalMs: number): () => void;
}

const RETRY_DEFAULTS = { firstDelayMs: 1000, maxDelayMs: 60 * 60 * 1000, maxAttempts: 20 };

function checkOptions(options: TestPayOptions, retry: typeof RETRY_DEFAULTS): void {
  for (const name of ['webhookSecret', 'webhookUrl', 'publicUrl'] as const) {
    if (!options[name]) throw new TypeError(`Test Pay needs options.${name}`);
  }
  if (!(retry.firstDelayMs >= 0 && retry.maxDelayMs >= retry.firstDelayMs && Number.isInteger(retry.maxAttempts))) {
    throw new TypeError('Test Pay: retry needs 0 ≤ firstDelayMs ≤ maxDelayMs and a whole maxAttempts');
  }
  if (retry.maxAttempts < 1) throw new TypeError('Test Pay: retry.maxAttempts must be at least 1');
}

export function createTestPay(options: TestPayOptions): TestPay {
  const retry = { ...RETRY_DEFAULTS, ...options.retry };
  checkOptions(options, retry);
  const now = options.now ?? (() => new Date());
  const publicUrl = options.publicUrl.replace(/\/+$/, '');
  const pageUrl = (id: string) => `${publicUrl}/${encodeURIComponent(id)}`;
  const book = paymentBook(options.db, now);
  const deliveries = webhookDeliveries({
    db: options.db,
    webhookSecret: options.webhookSecret,
    webhookUrl: options.webhookUrl,
    send: options.send ?? postWithFetch,
    chaos: options.chaos ?? new Set(),
    now,
    retry,
    log: options.log,
  });

  async function publishOutcome(payment: PaymentDocument): Promise<void> {
    if (isDecided(payment)) await deliveries.publish(outcomeEvent(payment));
  }

  const view = ({ _id, token: _token, idempotencyKey: _key, refunds, ...shown }: PaymentDocument): TestPayPayment => ({
    ...shown,
    id: _id,
    url: pageUrl(_id),
    refunds: refunds.map(({ id, amountCents, createdAt }) => ({ id, amountCents, createdAt })),
  });

  return {
    router: hostedPageRouter({
      find: book.find,
      async pay(id, outcome) {
        const payment = await book.decide(id, outcome);
        // Whichever request decided it, each makes sure the event exists: one id per outcome, stored once.
        if (payment) await publishOutcome(payment);
        return payment;
      },
      publishOutcome,
      now,
    }),

    async createPayment(input) {
      const payment = await book.create(input);
      return { id: payment._id, url: pageUrl(payment._id) };
    },

    async refund(input) {
      const { payment, refund } = await book.refund(input);
      // Also on a repeated request: the first one's process may have died before the event was stored.
      await deliveries.publish(refundEvent(payment, refund));
      return { refundId: refund.id };
    },

    async payment(id) {
      const payment = await book.find(id);
      return payment && view(payment);
    },

    deliverDue: deliveries.deliverDue,
    startDelivering: deliveries.startDelivering,
  };
}
