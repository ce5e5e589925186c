import { Router } from 'express';
import { requireAdmin, requireAuth } from '../auth/access';
import { adminController } from '../controllers/admin';
import { adminUsersController } from '../controllers/adminUsers';
import type { SessionControl } from '../config/sessionStore';
import type { Category } from '../lib/categories';
import { parseImageUpload } from '../lib/imageUpload';
import type { CsrfMiddleware } from '../middleware/csrf';
import { productRules } from '../validation/product';

export interface AdminDependencies {
  categories: Category[];
  csrf: CsrfMiddleware;
  /** The session store: the accounts list counts live sessions, and an admin can end them. */
  sessions: Pick<SessionControl, 'countLiveSessionsOfUsers' | 'destroySessionsOfUser'>;
}

export function adminRoutes({ categories, csrf, sessions }: AdminDependencies): Router {
  const router = Router();
  const rules = productRules(categories);
  const admin = adminController();
  const users = adminUsersController({ sessions });
  const token = csrf.check();
  // The product forms carry an image, and their token is in that multipart body: it is parsed (into
  // memory) only for an admin, then the token is checked, then the fields; the image is stored
  // only if all of it passes.
  const productForm = [parseImageUpload(), token, ...rules];
  // Anonymous visitors go to the login page; customers get 403.
  router.use(requireAuth, requireAdmin);
  router.get('/products', admin.getProducts);
  router.get('/add-product', admin.getAddProduct);
  router.post('/add-product', productForm, admin.postAddProduct);
  router.get('/edit-product/:productId', admin.getEditProduct);
  router.post('/edit-product', productForm, admin.postEditProduct);
  router.post('/delete-product', token, admin.postDeleteProduct);
  router.get('/users', users.getUsers);
  router.post('/users/:userId/end-sessions', token, users.postEndSessions);
  return router;
}
