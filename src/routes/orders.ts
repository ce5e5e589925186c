import { Router } from 'express';
import { ordersController, type OrdersDependencies } from '../controllers/orders';
import { requireAdmin, requireAuth } from '../middleware/requireAuth';

/** One order's page, invoice and cancellation for its customer; every order for the admins. */
export function ordersRoutes(deps: OrdersDependencies): Router {
  const orders = ordersController(deps);
  const router = Router();
  router.get('/orders/:orderId', requireAuth, orders.getOrder);
  router.get('/orders/:orderId/invoice', requireAuth, orders.getInvoice);
  router.post('/orders/:orderId/cancel', requireAuth, orders.postCancelOrder);
  router.get('/admin/orders', requireAuth, requireAdmin, orders.getAdminOrders);
  router.post('/admin/orders/:orderId/status', requireAuth, requireAdmin, orders.postAdminOrderStatus);
  return router;
}
