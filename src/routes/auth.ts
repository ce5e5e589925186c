import { Router } from 'express';
import { authController, type AuthDependencies } from '../controllers/auth';
import { passwordResetController } from '../controllers/passwordReset';
import { signupController } from '../controllers/signup';
import { noStore } from '../middleware/noStore';
import { sharePasswordChecks } from '../middleware/passwordShare';
import { redirectSignedIn } from '../middleware/requireAuth';
import { loginRules, newPasswordRules, resetRequestRules, signupRules } from '../validation/auth';

export function authRoutes(deps: AuthDependencies): Router {
  const auth = authController(deps);
  const signup = signupController(deps);
  const reset = passwordResetController(deps);
  // Routes that check or hash a password take turns per network (middleware/passwordShare.ts).
  const passwordWork = sharePasswordChecks(deps.config);
  const router = Router();
  router.get('/signup', noStore, redirectSignedIn, signup.getSignup);
  router.post('/signup', noStore, passwordWork, signupRules, signup.postSignup);
  router.get('/verify/:token', noStore, signup.getVerify);
  router.post('/verify', noStore, newPasswordRules, signup.postVerify);
  router.get('/login', noStore, redirectSignedIn, auth.getLogin);
  router.post('/login', noStore, passwordWork, loginRules, auth.postLogin);
  router.post('/verify/resend', noStore, resetRequestRules, auth.postResendVerification);
  router.post('/logout', auth.postLogout);
  router.get('/reset', noStore, reset.getReset);
  router.post('/reset', noStore, resetRequestRules, reset.postReset);
  router.get('/reset/:token', noStore, reset.getNewPassword);
  router.post('/new-password', noStore, passwordWork, newPasswordRules, reset.postNewPassword);
  return router;
}
