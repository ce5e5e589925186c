import { Router } from 'express';
import { shopController, type ShopDependencies } from '../controllers/shop';
import { requireAuth, requireAuthReturningTo } from '../middleware/requireAuth';

export function shopRoutes(options: ShopDependencies): Router {
  const shop = shopController(options);
  const router = Router();
  router.get('/', shop.getIndex);
  router.get('/products', shop.getProducts);
  router.get('/products/:productId', shop.getProduct);
  // Guests may fill, see and change a cart; it is merged into theirs when they log in.
  router.get('/cart', shop.getCart);
  router.post('/cart', shop.postCart);
  router.post('/cart-update', shop.postCartUpdate);
  router.post('/cart-delete-item', shop.postCartDeleteItem);
  // "Log in to check out": the login page, then back to the (merged) cart.
  router.get('/checkout', requireAuthReturningTo('/cart'), shop.getCheckout);
  router.post('/create-order', requireAuth, shop.postOrder);
  router.get('/orders', requireAuth, shop.getOrders);
  return router;
}
