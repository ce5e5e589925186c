import { Router } from 'express';
import { getAccount } from '../controllers/pages';
import { requireAuth } from '../middleware/requireAuth';

export function pageRoutes(): Router {
  const router = Router();
  router.get('/account', requireAuth, getAccount);
  return router;
}
