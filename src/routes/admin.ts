import { Router, type RequestHandler } from 'express';
import { adminController } from '../controllers/admin';
import { parseImageUpload } from '../middleware/imageUpload';
import { requireAdmin, requireAuth } from '../middleware/requireAuth';
import type { Category } from '../lib/categories';
import { productRules } from '../validation/product';

interface AdminRouteOptions {
  categories: Category[];
  /** The CSRF check for multipart forms (csrf.ts: MULTIPART_FORMS), run once their body is parsed. */
  csrfAfterMultipart: RequestHandler;
}

export function adminRoutes({ categories, csrfAfterMultipart }: AdminRouteOptions): Router {
  const router = Router();
  const rules = productRules(categories);
  const admin = adminController();
  // The product forms carry an image: parsed (into memory) only for an admin, then the CSRF token
  // in that body is checked, then the fields; the image is stored only if all of it passes.
  const productForm = [parseImageUpload(), csrfAfterMultipart, ...rules];
  // Anonymous visitors go to the login page; customers get 403.
  router.use(requireAuth, requireAdmin);
  router.get('/products', admin.getProducts);
  router.get('/add-product', admin.getAddProduct);
  router.post('/add-product', productForm, admin.postAddProduct);
  router.get('/edit-product/:productId', admin.getEditProduct);
  router.post('/edit-product', productForm, admin.postEditProduct);
  router.post('/delete-product', admin.postDeleteProduct);
  return router;
}
