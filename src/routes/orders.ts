import { Router } from 'express';
import { requireAdmin, requireAuth } from '../auth/access';
import { ordersController, type OrdersDependencies } from '../controllers/orders';
import type { CsrfMiddleware } from '../middleware/csrf';

/** One order's page, invoice and cancellation for its customer; every order for the admins. */
export function ordersRoutes(deps: OrdersDependencies & { csrf: CsrfMiddleware }): Router {
  const orders = ordersController(deps);
  const token = deps.csrf.check();
  const router = Router();
  router.get('/orders/:orderId', requireAuth, orders.getOrder);
  router.get('/orders/:orderId/invoice', requireAuth, orders.getInvoice);
  router.post('/orders/:orderId/cancel', token, requireAuth, orders.postCancelOrder);
  router.post('/orders/:orderId/pay', token, requireAuth, orders.postPayOrder);
  router.get('/admin/orders', requireAuth, requireAdmin, orders.getAdminOrders);
  router.post('/admin/orders/:orderId/status', token, requireAuth, requireAdmin, orders.postAdminOrderStatus);
  return router;
}
