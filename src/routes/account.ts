import { Router } from 'express';
import { accountController, type AccountDependencies } from '../controllers/account';
import { requireAuth } from '../middleware/requireAuth';
import { changePasswordRules, deleteAccountRules } from '../validation/auth';

export function accountRoutes(deps: AccountDependencies): Router {
  const account = accountController(deps);
  const router = Router();
  router.use(requireAuth);
  router.get('/', account.getAccount);
  router.post('/password', changePasswordRules, account.postChangePassword);
  router.post('/sessions/revoke', account.postRevokeSession);
  router.post('/sessions/revoke-others', account.postRevokeOtherSessions);
  router.post('/delete', deleteAccountRules, account.postDeleteAccount);
  return router;
}
