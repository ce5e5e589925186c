import { Router } from 'express';
import { shopController } from '../controllers/shop';
import { requireAuth } from '../middleware/requireAuth';

export function shopRoutes(options: Parameters<typeof shopController>[0]): Router {
  const shop = shopController(options);
  const router = Router();
  router.get('/', shop.getIndex);
  router.get('/products', shop.getProducts);
  router.get('/products/:productId', shop.getProduct);
  router.get('/cart', requireAuth, shop.getCart);
  // Guests may fill a cart; it is merged into theirs when they log in.
  router.post('/cart', shop.postCart);
  router.post('/cart-delete-item', shop.postCartDeleteItem);
  router.post('/create-order', requireAuth, shop.postOrder);
  router.get('/orders', requireAuth, shop.getOrders);
  return router;
}
