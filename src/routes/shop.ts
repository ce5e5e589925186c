import { Router } from 'express';
import { requireAuth, requireAuthReturningTo } from '../auth/access';
import { checkoutController, type CheckoutDependencies } from '../controllers/checkout';
import { shopController, type ShopDependencies } from '../controllers/shop';
import type { CsrfMiddleware } from '../middleware/csrf';

import { checkoutRules } from '../validation/checkout';

export function shopRoutes(options: ShopDependencies & CheckoutDependencies & { csrf: CsrfMiddleware }): Router {
  const shop = shopController(options);
  const checkout = checkoutController(options);
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
  // "Log in to check out": the login page, then back to the checkout with the (merged) cart.
  router.get('/checkout', requireAuthReturningTo('/checkout'), checkout.getCheckout);
  router.post('/checkout', token, requireAuth, checkoutRules, checkout.postCheckout);
  router.get('/orders', requireAuth, shop.getOrders);
  return router;
}
