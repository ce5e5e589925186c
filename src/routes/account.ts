import { Router } from 'express';
import { accountController, type AccountDependencies } from '../controllers/account';
import { getActivity } from '../controllers/activity';
import { notMeController } from '../controllers/notMe';
import { reauthController, type ReauthDependencies } from '../controllers/reauth';
import { requireRecentPassword } from '../middleware/reauth';
import { noStore } from '../middleware/noStore';
import { requireAuth } from '../middleware/requireAuth';
import { changePasswordRules, deleteAccountRules } from '../validation/auth';

export function accountRoutes(deps: AccountDependencies & ReauthDependencies): Router {
  const account = accountController(deps);
  const reauth = reauthController(deps);
  // Forms that ask for the current password (change it, delete the account) are their own
  // re-authentication; the others need a password entered within REAUTH_WINDOW.
  const recentPassword = requireRecentPassword(deps.config);
  const router = Router();
  router.use(requireAuth);
  router.get('/', account.getAccount);
  router.get('/activity', getActivity);
  router.get('/confirm', noStore, reauth.getConfirm);
  router.post('/confirm', noStore, reauth.postConfirm);
  router.post('/password', changePasswordRules, account.postChangePassword);
  router.post('/sessions/revoke', account.postRevokeSession);
  router.post('/sessions/revoke-others', recentPassword, account.postRevokeOtherSessions);
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
