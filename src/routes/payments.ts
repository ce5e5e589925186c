import express, { Router } from 'express';
import { webhooksController, type WebhookDependencies } from '../controllers/webhooks';
import { TEST_PAY_PATH, WEBHOOK_PATH } from '../payments';
import type { TestPay } from '../testPay';

/**
 * The provider's side of payments: its webhooks (their raw body, which the signature covers; no
 * session, no CSRF token: the signature is the check), and Test Pay's hosted pages when it is the
 * provider. Mounted before the body parsers and the session.
 */
export function paymentRoutes(deps: WebhookDependencies & { testPay?: TestPay }): Router {
  const webhooks = webhooksController(deps);
  const router = Router();
  router.post(WEBHOOK_PATH, express.raw({ type: () => true, limit: '100kb' }), webhooks.postPaymentWebhook);
  if (deps.testPay) router.use(TEST_PAY_PATH, deps.testPay.router);
  return router;
}
