import type { RequestHandler } from 'express';
import type { Logger } from '../lib/logger';
import { WebhookRejectedError, type PaymentProvider } from '../payments/provider';
import type { PaymentFlow } from '../services/payments';

export interface WebhookDependencies {
  provider: PaymentProvider;
  payments: PaymentFlow;
  logger: Logger;
}

export function webhooksController({ provider, payments, logger }: WebhookDependencies) {
  /**
   * @route POST /webhooks/payments — the provider's signed events, its raw body as signed. 400 for a
   * forged or stale one (the provider's retries of it fail too: only the real one counts); 2xx once
   * applied, or for an event the shop does not act on, so that it is not sent again; a 5xx when
   * the database fails, so that the provider retries.
   */
  const postPaymentWebhook: RequestHandler = async (req, res) => {
    const raw: unknown = req.body;
    if (!Buffer.isBuffer(raw)) return res.status(400).json({ error: 'expected a body' });
    let event;
    try {
      event = provider.readWebhook(raw, req.headers);
    } catch (err) {
      if (!(err instanceof WebhookRejectedError)) throw err;
      logger.warn({ reason: err.message, ip: req.ip }, 'refused a payment webhook');
      return res.status(400).json({ error: 'the signature does not match' });
    }
    if (!event) return res.json({ received: true });
    const outcome = await payments.applyEvent(event);
    if (outcome === 'unknown order') logger.warn({ event: event.id }, 'a payment webhook names no order of this shop');
    res.json({ received: true, outcome });
  };
  return { postPaymentWebhook };
}
