import { Router } from 'express';
import { redirectSignedIn } from '../auth/access';
import { authController, type AuthDependencies } from '../controllers/auth';
import { passwordResetController } from '../controllers/passwordReset';
import { passkeyController } from '../controllers/passkeys';
import { signupController } from '../controllers/signup';
import type { CsrfMiddleware } from '../middleware/csrf';
import { noStore } from '../middleware/noStore';
import { sharePasswordChecks } from '../middleware/passwordShare';
import { confirmAddressRules, loginRules, newPasswordRules, resetRequestRules, signupRules } from '../validation/auth';

export function authRoutes(deps: AuthDependencies & { csrf: CsrfMiddleware }): Router {
  const auth = authController(deps);
  const signup = signupController(deps);
  const reset = passwordResetController(deps);
  const passkeys = passkeyController(deps);
  const token = deps.csrf.check();
  // Routes that check or hash a password take turns per network (middleware/passwordShare.ts).
  const passwordWork = sharePasswordChecks(deps.config);
  const router = Router();
  router.get('/signup', noStore, redirectSignedIn, signup.getSignup);
  router.post('/signup', token, noStore, passwordWork, signupRules, signup.postSignup);
  router.get('/verify/:token', noStore, signup.getVerify);
  router.post('/verify', token, noStore, confirmAddressRules, signup.postVerify);
  router.get('/login', noStore, redirectSignedIn, auth.getLogin);
  router.post('/login', token, noStore, passwordWork, loginRules, auth.postLogin);
  router.get('/login/two-factor', noStore, redirectSignedIn, auth.getSecondStep);
  router.post('/login/two-factor', token, noStore, auth.postSecondStep);
  router.post('/login/passkey/options', token, noStore, passkeys.postSignInOptions);
  router.post('/login/passkey', token, noStore, passkeys.postSignIn);
  router.post('/login/two-factor/passkey/options', token, noStore, passkeys.postSecondFactorOptions);
  router.post('/login/two-factor/passkey', token, noStore, passkeys.postSecondFactor);
  router.post('/verify/resend', token, noStore, resetRequestRules, auth.postResendVerification);
  router.post('/logout', token, auth.postLogout);
  router.get('/reset', noStore, reset.getReset);
  router.post('/reset', token, noStore, resetRequestRules, reset.postReset);
  router.get('/reset/:token', noStore, reset.getNewPassword);
  router.post(
    '/new-password',
    token,
    noStore,
    reset.checkResetLink,
    passwordWork,
    newPasswordRules,
    reset.postNewPassword,
  );
  return router;
}
