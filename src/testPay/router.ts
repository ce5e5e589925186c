import { timingSafeEqual } from 'node:crypto';
import express, { type Request, type Response } from 'express';
import { readCardForm, type CardOutcome } from './cards';
import { expiredPage, forbiddenPage, notFoundPage, outcomePage, paymentPage } from './page';
import { isDecided, type PaymentDocument } from './payments';

/** What the hosted page needs from the rest of Test Pay. */
export interface HostedPageActions {
  find(id: string): Promise<PaymentDocument | null>;
  /** Decides the payment (unless it was decided or expired first), publishes its event; the payment as it then is. */
  pay(id: string, outcome: CardOutcome): Promise<PaymentDocument | null>;
  /** Makes sure the event of a decided payment exists (the process may have died before it was stored). */
  publishOutcome(payment: PaymentDocument): Promise<void>;
  now(): Date;
}

/** Ids Test Pay makes (`newId`): anything else is not looked up. */
const PAYMENT_ID = /^pay_[A-Za-z0-9_-]{16,64}$/;

function sendPage(res: Response, status: number, html: string): void {
  // The form carries the payment's token: never kept by a browser's or a proxy's cache.
  res.status(status).set('Cache-Control', 'no-store').type('html').send(html);
}

function tokenMatches(sent: unknown, token: string): boolean {
  if (typeof sent !== 'string') return false;
  const given = Buffer.from(sent);
  const expected = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

const isExpired = (payment: PaymentDocument, now: Date) => now.getTime() >= payment.expiresAt.getTime();

/** The hosted payment page, `GET` and `POST /:paymentId`, meant to be mounted at `/test-pay`. */
export function hostedPageRouter(actions: HostedPageActions): express.Router {
  const router = express.Router();
  // Test Pay reads its own form: the app it is mounted in may parse no urlencoded bodies (or has, then this skips).
  router.use(express.urlencoded({ extended: false, limit: '10kb' }));

  const pagePath = (req: Request, payment: PaymentDocument) => `${req.baseUrl}/${encodeURIComponent(payment._id)}`;

  async function findPayment(req: Request<{ paymentId: string }>): Promise<PaymentDocument | null> {
    return PAYMENT_ID.test(req.params.paymentId) ? actions.find(req.params.paymentId) : null;
  }

  router.get('/:paymentId', async (req, res) => {
    const payment = await findPayment(req);
    if (!payment) return sendPage(res, 404, notFoundPage());
    if (isDecided(payment)) return sendPage(res, 200, outcomePage(payment));
    if (isExpired(payment, actions.now())) return sendPage(res, 410, expiredPage(payment));
    const form = { action: pagePath(req, payment), values: { cardNumber: '', expiry: '' }, errors: {} };
    sendPage(res, 200, paymentPage(payment, form));
  });

  router.post('/:paymentId', async (req, res) => {
    const payment = await findPayment(req);
    if (!payment) return sendPage(res, 404, notFoundPage());
    const body: Record<string, unknown> = req.body ?? {};
    if (!tokenMatches(body.token, payment.token)) {
      return sendPage(res, 403, forbiddenPage(payment, pagePath(req, payment)));
    }
    if (isDecided(payment)) {
      // Sent again (a double click, or a retry after the shop's process died mid-way): the outcome stands.
      await actions.publishOutcome(payment);
      return res.redirect(303, payment.returnUrl);
    }
    if (isExpired(payment, actions.now())) return sendPage(res, 410, expiredPage(payment));
    const form = readCardForm(body, actions.now());
    if (!form.valid) return sendPage(res, 422, paymentPage(payment, { action: pagePath(req, payment), ...form }));
    const after = await actions.pay(payment._id, form.outcome);
    // Still pending: it expired between reading and deciding.
    if (!after || !isDecided(after)) return sendPage(res, 410, expiredPage(payment));
    res.redirect(303, after.returnUrl);
  });

  return router;
}
