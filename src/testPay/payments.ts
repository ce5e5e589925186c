import { randomBytes } from 'node:crypto';
import type { Db } from 'mongodb';
import type { CardOutcome } from './cards';
import { PAYMENTS_COLLECTION, isDuplicateKeyError, newId, onFirstUse } from './database';
import { oneAtATime } from './oneAtATime';

/** A refused request: unknown payment, a refund Test Pay will not make, an idempotency key reused differently, bad input. */
export class TestPayError extends Error {
  override name = 'TestPayError';
}

export type PaymentState = 'pending' | 'succeeded' | 'failed';

export interface RefundRecord {
  id: string;
  amountCents: number;
  idempotencyKey: string;
  createdAt: Date;
}

/** What a payment is made of, as the shop asks for it. */
export interface NewPayment {
  amountCents: number;
  currency: string;
  description: string;
  reference: string;
  customerEmail: string | null;
  returnUrl: string;
  cancelUrl: string;
  expiresAt: Date;
  idempotencyKey: string;
}

/** A payment as stored in `testpay.payments`. */
export interface PaymentDocument extends NewPayment {
  _id: string;
  /** Only the payment's own page has it (in its form): a POST without it was not made there. */
  token: string;
  /** `pending` until paid or declined; both are final. */
  state: PaymentState;
  failureReason: string | null;
  decidedAt: Date | null;
  refundedCents: number;
  refunds: RefundRecord[];
  createdAt: Date;
}

export type DecidedPayment = PaymentDocument & { state: 'succeeded' | 'failed'; decidedAt: Date };

export const isDecided = (payment: PaymentDocument): payment is DecidedPayment => payment.state !== 'pending';

const CURRENCY = /^[a-z]{3}$/;

const isPositiveCents = (amount: unknown): amount is number => Number.isSafeInteger(amount) && Number(amount) > 0;

function isWebAddress(text: string): boolean {
  try {
    return ['http:', 'https:'].includes(new URL(text).protocol);
  } catch {
    return false;
  }
}

function checkNewPayment(input: NewPayment): void {
  if (!isPositiveCents(input.amountCents)) throw new TestPayError('amountCents must be a positive whole number');
  if (!CURRENCY.test(input.currency)) throw new TestPayError('currency must be three lower-case letters ("usd")');
  if (!input.reference) throw new TestPayError('reference is required');
  if (!input.idempotencyKey) throw new TestPayError('idempotencyKey is required');
  // Both end up as links on the payment page: only web addresses, never `javascript:`.
  if (!isWebAddress(input.returnUrl) || !isWebAddress(input.cancelUrl)) {
    throw new TestPayError('returnUrl and cancelUrl must be http(s) addresses');
  }
  if (!(input.expiresAt instanceof Date) || Number.isNaN(input.expiresAt.getTime())) {
    throw new TestPayError('expiresAt must be a date');
  }
}

/** The same key names the same request: a retry finds its payment, a different request is refused. */
function sameRequest(payment: PaymentDocument, input: NewPayment): PaymentDocument {
  if (
    payment.amountCents !== input.amountCents ||
    payment.currency !== input.currency ||
    payment.reference !== input.reference
  ) {
    throw new TestPayError('This idempotency key was already used for a payment with other parameters');
  }
  return payment;
}

/** Test Pay's payments: created once per key, decided once, refunded at most up to their amount. */
export function paymentBook(db: () => Db, now: () => Date) {
  const collection = () => db().collection<PaymentDocument>(PAYMENTS_COLLECTION);
  const indexed = onFirstUse(() =>
    collection().createIndex({ idempotencyKey: 1 }, { unique: true, name: 'testpay_idempotency_key' }),
  );
  const payments = async () => {
    await indexed();
    return collection();
  };

  async function find(id: string): Promise<PaymentDocument | null> {
    return (await payments()).findOne({ _id: id });
  }

  /** Creates the payment, or finds the one made earlier with the same idempotency key. */
  async function create(input: NewPayment): Promise<PaymentDocument> {
    checkNewPayment(input);
    const stored = await payments();
    const earlier = await stored.findOne({ idempotencyKey: input.idempotencyKey });
    if (earlier) return sameRequest(earlier, input);
    const payment: PaymentDocument = {
      _id: newId('pay'),
      idempotencyKey: input.idempotencyKey,
      amountCents: input.amountCents,
      currency: input.currency,
      description: input.description,
      reference: input.reference,
      customerEmail: input.customerEmail,
      returnUrl: input.returnUrl,
      cancelUrl: input.cancelUrl,
      expiresAt: input.expiresAt,
      token: randomBytes(24).toString('base64url'),
      state: 'pending',
      failureReason: null,
      decidedAt: null,
      refundedCents: 0,
      refunds: [],
      createdAt: now(),
    };
    try {
      await stored.insertOne(payment);
      return payment;
    } catch (error) {
      // The same key created at the same moment elsewhere: the unique index let one through, and that one is ours too.
      if (!isDuplicateKeyError(error)) throw error;
      const winner = await stored.findOne({ idempotencyKey: input.idempotencyKey });
      if (!winner) throw error;
      return sameRequest(winner, input);
    }
  }

  /**
   * Gives a pending, unexpired payment its final outcome, and returns the payment as it is then:
   * with this outcome, with the one another request gave it first, or still pending (expired).
   * Null for an unknown payment.
   */
  function decide(id: string, outcome: CardOutcome): Promise<PaymentDocument | null> {
    return oneAtATime(`testpay:payment:${id}`, async () => {
      const stored = await payments();
      const at = now();
      // Conditional: of two requests at once, only the first changes a pending payment.
      await stored.updateOne(
        { _id: id, state: 'pending', expiresAt: { $gt: at } },
        {
          $set: {
            state: outcome.state,
            failureReason: outcome.state === 'failed' ? outcome.failureReason : null,
            decidedAt: at,
          },
        },
      );
      return stored.findOne({ _id: id });
    });
  }

  /** Refunds part or all of a succeeded payment, once per idempotency key. */
  async function refund(input: {
    paymentId: string;
    amountCents: number;
    idempotencyKey: string;
  }): Promise<{ payment: PaymentDocument; refund: RefundRecord }> {
    const { paymentId, amountCents, idempotencyKey } = input;
    if (!isPositiveCents(amountCents)) throw new TestPayError('amountCents must be a positive whole number');
    if (!idempotencyKey) throw new TestPayError('idempotencyKey is required');
    return oneAtATime(`testpay:payment:${paymentId}`, async () => {
      const stored = await payments();
      // Each turn either answers or finds that another refund changed the payment since it was read;
      // refunds only add up to the amount, so this ends.
      for (;;) {
        const payment = await stored.findOne({ _id: paymentId });
        if (!payment) throw new TestPayError(`There is no payment ${paymentId}`);
        const earlier = payment.refunds.find((made) => made.idempotencyKey === idempotencyKey);
        if (earlier) {
          if (earlier.amountCents !== amountCents) {
            throw new TestPayError('This idempotency key was already used for a refund of another amount');
          }
          return { payment, refund: earlier };
        }
        if (payment.state !== 'succeeded') throw new TestPayError(`Payment ${paymentId} was not paid`);
        if (payment.refundedCents + amountCents > payment.amountCents) {
          throw new TestPayError(
            `Payment ${paymentId} has ${payment.amountCents - payment.refundedCents} cents left to refund, not ${amountCents}`,
          );
        }
        const made: RefundRecord = { id: newId('re'), amountCents, idempotencyKey, createdAt: now() };
        // Only on the refunded total just read, and only if this key has made no refund since.
        const written = await stored.updateOne(
          { _id: paymentId, refundedCents: payment.refundedCents, 'refunds.idempotencyKey': { $ne: idempotencyKey } },
          { $push: { refunds: made }, $inc: { refundedCents: amountCents } },
        );
        if (written.modifiedCount === 1) {
          const refunded = { ...payment, refundedCents: payment.refundedCents + amountCents };
          return { payment: { ...refunded, refunds: [...payment.refunds, made] }, refund: made };
        }
      }
    });
  }

  return { find, create, decide, refund };
}

export type PaymentBook = ReturnType<typeof paymentBook>;
