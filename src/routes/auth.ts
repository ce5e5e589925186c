import { Router } from 'express';
import { authController, type AuthDependencies } from '../controllers/auth';
import { noStore } from '../middleware/noStore';
import { redirectSignedIn } from '../middleware/requireAuth';
import { loginRules, newPasswordRules, resetRequestRules, signupRules } from '../validation/auth';

export function authRoutes(deps: AuthDependencies): Router {
  const auth = authController(deps);
  const router = Router();
  router.get('/signup', noStore, redirectSignedIn, auth.getSignup);
  router.post('/signup', noStore, signupRules, auth.postSignup);
  router.get('/login', noStore, redirectSignedIn, auth.getLogin);
  router.post('/login', noStore, loginRules, auth.postLogin);
  router.get('/verify/:token', noStore, auth.getVerify);
  router.post('/verify/resend', noStore, resetRequestRules, auth.postResendVerification);
  router.post('/logout', auth.postLogout);
  router.get('/reset', noStore, auth.getReset);
  router.post('/reset', noStore, resetRequestRules, auth.postReset);
  router.get('/reset/:token', noStore, auth.getNewPassword);
  router.post('/new-password', noStore, newPasswordRules, auth.postNewPassword);
  return router;
}
