import { Router } from 'express';
import { requireAuth } from '../auth/access';
import { requireRecentPassword, requireRecentPasswordForPage } from '../auth/reauth';
import { accountController, type AccountDependencies } from '../controllers/account';
import { getActivity } from '../controllers/activity';
import { emailChangeController } from '../controllers/emailChange';
import { notMeController } from '../controllers/notMe';
import { reauthController } from '../controllers/reauth';
import { twoFactorController } from '../controllers/twoFactor';
import { passkeyController } from '../controllers/passkeys';
import type { CsrfMiddleware } from '../middleware/csrf';
import { noStore } from '../middleware/noStore';
import { sharePasswordChecks } from '../middleware/passwordShare';
import { changeEmailRules, changePasswordRules, deleteAccountRules } from '../validation/auth';

type AccountRouteDependencies = AccountDependencies & { csrf: CsrfMiddleware };

/** The password field of the forms that ask for it again when they are resubmitted. */
const YOUR_PASSWORD = { name: 'password', label: 'Your password', autocomplete: 'current-password' } as const;

export function accountRoutes(deps: AccountRouteDependencies): Router {
  const account = accountController(deps);
  const email = emailChangeController(deps);
  const reauth = reauthController(deps);
  const twoFactor = twoFactorController(deps);
  const passkeys = passkeyController(deps);
  const token = deps.csrf.check();
  // Every change that matters needs a password entered within REAUTH_WINDOW (a session restored by
  // "remember me" has entered none): it is confirmed first, then the form, as declared here, is
  // offered again. The forms that also ask for the password check it again.
  const recentPassword = requireRecentPassword(deps.config);
  // Forms that check or hash a password take turns per network (middleware/passwordShare.ts).
  const passwordWork = sharePasswordChecks(deps.config);
  const router = Router();
  router.use(requireAuth);
  router.get('/', account.getAccount);
  router.get('/activity', getActivity);
  router.get('/confirm', noStore, reauth.getConfirm);
  router.post('/confirm', token, noStore, passwordWork, reauth.postConfirm);
  router.post('/confirm/passkey/options', token, noStore, passkeys.postReauthOptions);
  router.post('/confirm/passkey', token, noStore, passkeys.postReauth);
  router.get('/confirm/continue', noStore, passkeys.getContinue);
  // Passkeys: adding one needs a recent password (its JSON requests check it themselves, and send
  // the page to /account/confirm), removing one too.
  router.post('/passkeys/options', token, noStore, passkeys.postRegistrationOptions);
  router.post('/passkeys', token, noStore, passkeys.postRegister);
  router.post('/passkeys/rename', token, passkeys.postRename);
  router.post('/passkeys/remove', token, recentPassword({ label: 'Remove that passkey' }), passkeys.postRemove);
  router.post(
    '/password',
    token,
    passwordWork,
    recentPassword({
      label: 'Change password',
      passwordFields: [
        { name: 'currentPassword', label: 'Current password', autocomplete: 'current-password' },
        { name: 'newPassword', label: 'New password', autocomplete: 'new-password', newPasswordOfAccount: true },
        { name: 'confirmNewPassword', label: 'Confirm new password', autocomplete: 'new-password' },
      ],
    }),
    changePasswordRules,
    account.postChangePassword,
  );
  router.post(
    '/email',
    token,
    passwordWork,
    recentPassword({ label: 'Change email', passwordFields: [YOUR_PASSWORD] }),
    changeEmailRules,
    email.postChangeEmail,
  );
  // Two-step sign-in: every page and form of it behind a recent password (and code, once on).
  router.get('/two-factor', noStore, requireRecentPasswordForPage(deps.config), twoFactor.getTwoFactor);
  router.get('/two-factor/qr.svg', noStore, twoFactor.getQrCode);
  router.post(
    '/two-factor',
    token,
    noStore,
    recentPassword({ label: 'Turn on two-step sign-in' }),
    twoFactor.postTwoFactor,
  );
  router.post(
    '/two-factor/recovery-codes',
    token,
    noStore,
    recentPassword({ label: 'Make new recovery codes' }),
    twoFactor.postRecoveryCodes,
  );
  router.post(
    '/two-factor/disable',
    token,
    recentPassword({ label: 'Turn off two-step sign-in' }),
    twoFactor.postDisable,
  );
  router.post('/sessions/revoke', token, account.postRevokeSession);
  router.post(
    '/sessions/revoke-others',
    token,
    recentPassword({ label: 'Sign out everywhere else' }),
    account.postRevokeOtherSessions,
  );
  router.post('/devices/remove', token, recentPassword({ label: 'Forget that browser' }), account.postRemoveDevice);
  router.post(
    '/delete',
    token,
    passwordWork,
    recentPassword({ label: 'Delete my account', passwordFields: [YOUR_PASSWORD] }),
    deleteAccountRules,
    account.postDeleteAccount,
  );
  return router;
}

/**
 * Links from mails ("this wasn't me", a new address's confirmation): open to whoever holds the
 * link, signed in or not.
 */
export function accountLinkRoutes(deps: AccountRouteDependencies): Router {
  const notMe = notMeController(deps);
  const email = emailChangeController(deps);
  const token = deps.csrf.check();
  const router = Router();
  router.get('/account/not-me/:token', noStore, notMe.getNotMe);
  router.post('/account/not-me', token, noStore, notMe.postNotMe);
  router.get('/account/email/verify/:token', noStore, email.getConfirmEmail);
  router.post('/account/email/verify', token, noStore, email.postConfirmEmail);
  return router;
}
