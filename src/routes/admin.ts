import { Router } from 'express';
import { adminController } from '../controllers/admin';
import { requireAdmin, requireAuth } from '../middleware/requireAuth';
import type { Category } from '../lib/categories';
import { productRules } from '../validation/product';

export function adminRoutes({ categories }: { categories: Category[] }): Router {
  const router = Router();
  const rules = productRules(categories);
  const admin = adminController();
  // Anonymous visitors go to the login page; customers get 403.
  router.use(requireAuth, requireAdmin);
  router.get('/products', admin.getProducts);
  router.get('/add-product', admin.getAddProduct);
  router.post('/add-product', rules, admin.postAddProduct);
  router.get('/edit-product/:productId', admin.getEditProduct);
  router.post('/edit-product', rules, admin.postEditProduct);
  router.post('/delete-product', admin.postDeleteProduct);
  return router;
}
