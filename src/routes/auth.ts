import { Router } from 'express';
import { authController, type AuthDependencies } from '../controllers/auth';
import { loginRules, newPasswordRules, resetRequestRules, signupRules } from '../validation/auth';

export function authRoutes(deps: AuthDependencies): Router {
  const auth = authController(deps);
  const router = Router();
  router.get('/signup', auth.getSignup);
  router.post('/signup', signupRules, auth.postSignup);
  router.get('/login', auth.getLogin);
  router.post('/login', loginRules, auth.postLogin);
  router.post('/logout', auth.postLogout);
  router.get('/reset', auth.getReset);
  router.post('/reset', resetRequestRules, auth.postReset);
  router.get('/reset/:token', auth.getNewPassword);
  router.post('/new-password', newPasswordRules, auth.postNewPassword);
  return router;
}
