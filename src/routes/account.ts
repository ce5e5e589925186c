import { Router } from 'express';
import { accountController, type AccountDependencies } from '../controllers/account';
import { getActivity } from '../controllers/activity';
import { emailChangeController } from '../controllers/emailChange';
import { notMeController } from '../controllers/notMe';
import { reauthController, type ReauthDependencies } from '../controllers/reauth';
import { requireRecentPassword } from '../middleware/reauth';
import { noStore } from '../middleware/noStore';
import { sharePasswordChecks } from '../middleware/passwordShare';
import { requireAuth } from '../middleware/requireAuth';
import { changeEmailRules, changePasswordRules, deleteAccountRules } from '../validation/auth';

export function accountRoutes(deps: AccountDependencies & ReauthDependencies): Router {
  const account = accountController(deps);
  const email = emailChangeController(deps);
  const reauth = reauthController(deps);
  // Every change that matters needs a password entered within REAUTH_WINDOW (a session restored by
  // "remember me" has entered none); the forms that also ask for the password check it again.
  const recentPassword = requireRecentPassword(deps.config);
  // Forms that check or hash a password take turns per network (middleware/passwordShare.ts).
  const passwordWork = sharePasswordChecks(deps.config);
  const router = Router();
  router.use(requireAuth);
  router.get('/', account.getAccount);
  router.get('/activity', getActivity);
  router.get('/confirm', noStore, reauth.getConfirm);
  router.post('/confirm', noStore, passwordWork, reauth.postConfirm);
  router.post('/password', passwordWork, recentPassword, changePasswordRules, account.postChangePassword);
  router.post('/email', passwordWork, recentPassword, changeEmailRules, email.postChangeEmail);
  router.post('/sessions/revoke', account.postRevokeSession);
  router.post('/sessions/revoke-others', recentPassword, account.postRevokeOtherSessions);
  router.post('/devices/remove', recentPassword, account.postRemoveDevice);
  router.post('/delete', passwordWork, recentPassword, deleteAccountRules, account.postDeleteAccount);
  return router;
}

/**
 * Links from mails ("this wasn't me", a new address's confirmation): open to whoever holds the
 * link, signed in or not.
 */
export function accountLinkRoutes(deps: AccountDependencies & ReauthDependencies): Router {
  const notMe = notMeController(deps);
  const email = emailChangeController(deps);
  const router = Router();
  router.get('/account/not-me/:token', noStore, notMe.getNotMe);
  router.post('/account/not-me', noStore, notMe.postNotMe);
  router.get('/account/email/verify/:token', noStore, email.getConfirmEmail);
  router.post('/account/email/verify', noStore, email.postConfirmEmail);
  return router;
}
