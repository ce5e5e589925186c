import { Router } from 'express';
import type { Config } from '../config/env';
import { authController } from '../controllers/auth';
import { loginRules, signupRules } from '../validation/auth';

export function authRoutes(config: Config): Router {
  const auth = authController(config);
  const router = Router();
  router.get('/signup', auth.getSignup);
  router.post('/signup', signupRules, auth.postSignup);
  router.get('/login', auth.getLogin);
  router.post('/login', loginRules, auth.postLogin);
  router.post('/logout', auth.postLogout);
  return router;
}
