import { Router } from 'express';
import { accountController, type AccountDependencies } from '../controllers/account';
import { notMeController } from '../controllers/notMe';
import { noStore } from '../middleware/noStore';
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

/** "This wasn't me", from a security mail: open to whoever holds the link, signed in or not. */
export function notMeRoutes(deps: AccountDependencies): Router {
  const notMe = notMeController(deps);
  const router = Router();
  router.get('/account/not-me/:token', noStore, notMe.getNotMe);
  router.post('/account/not-me', noStore, notMe.postNotMe);
  return router;
}
