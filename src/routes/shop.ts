import { Router } from 'express';
import { requireAuth, requireAuthReturningTo } from '../auth/access';
import { shopController, type ShopDependencies } from '../controllers/shop';
import type { CsrfMiddleware } from '../middleware/csrf';

export function shopRoutes(options: ShopDependencies & { csrf: CsrfMiddleware }): Router {
  const shop = shopController(options);
  const token = options.csrf.check();
  const router = Router();
  router.get('/', shop.getIndex);
  router.get('/products', shop.getProducts);
  router.get('/products/:productId', shop.getProduct);
  // Guests may fill, see and change a cart; it is merged into theirs when they log in.
  router.get('/cart', shop.getCart);
  // "Add to cart" works from a product page that set no cookie yet: without a token, for a visitor
  // holding none, and only from our own pages (middleware/csrf.ts).
  router.post('/cart', options.csrf.check('tokenless-from-own-pages'), shop.postCart);
  router.post('/cart-update', token, shop.postCartUpdate);
  router.post('/cart-delete-item', token, shop.postCartDeleteItem);
  // "Log in to check out": the login page, then back to the (merged) cart.
  router.get('/checkout', requireAuthReturningTo('/cart'), shop.getCheckout);
  router.post('/create-order', token, requireAuth, shop.postOrder);
  router.get('/orders', requireAuth, shop.getOrders);
  return router;
}
