import { Router } from 'express';
import * as admin from '../controllers/admin';
import { requireAuth } from '../middleware/requireAuth';
import { productRules } from '../validation/product';

export function adminRoutes(): Router {
  const router = Router();
  router.use(requireAuth);
  router.get('/products', admin.getProducts);
  router.get('/add-product', admin.getAddProduct);
  router.post('/add-product', productRules, admin.postAddProduct);
  router.get('/edit-product/:productId', admin.getEditProduct);
  router.post('/edit-product', productRules, admin.postEditProduct);
  router.post('/delete-product', admin.postDeleteProduct);
  return router;
}
