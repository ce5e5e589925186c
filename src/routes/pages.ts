import { Router } from 'express';
import { getAccount, getHome } from '../controllers/pages';
import { requireAuth } from '../middleware/requireAuth';

export function pageRoutes(): Router {
  const router = Router();
  router.get('/', getHome);
  router.get('/account', requireAuth, getAccount);
  return router;
}
