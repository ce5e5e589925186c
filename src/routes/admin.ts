import { Router } from 'express';
import * as admin from '../controllers/admin';
import { requireAdmin, requireAuth } from '../middleware/requireAuth';
import { productRules } from '../validation/product';

export function adminRoutes(): Router {
  const router = Router();
  // Anonymous visitors go to the login page; customers get 403.
  router.use(requireAuth, requireAdmin);
  router.get('/products', admin.getProducts);
  router.get('/add-product', admin.getAddProduct);
  router.post('/add-product', productRules, admin.postAddProduct);
  router.get('/edit-product/:productId', admin.getEditProduct);
  router.post('/edit-product', productRules, admin.postEditProduct);
  router.post('/delete-product', admin.postDeleteProduct);
  return router;
}
