import type { Request, RequestHandler, Response } from 'express';
import { matchedData } from 'express-validator';
import type { Config } from '../config/env';
import { clearSessionCookie } from '../config/session';
import { hashPassword, spendComparisonTime, verifyPassword } from '../lib/passwords';
import { flash } from '../middleware/flash';
import { safeReturnTo } from '../middleware/requireAuth';
import { User, isDuplicateKeyError } from '../models/User';
import { mergeGuestCart } from '../services/cart';
import { destroySession, regenerateSession, saveSession } from '../sessions/lifecycle';
import { fieldErrors, formValue, type FieldErrors } from '../validation';

const LOGIN_FAILED = 'Invalid email or password.';

function renderSignup(res: Response, status: number, email = '', errors: FieldErrors = {}) {
  res.status(status).render('auth/signup', { title: 'Create an account', email, errors });
}

function renderLogin(res: Response, status: number, email = '', errors: FieldErrors = {}) {
  res.status(status).render('auth/login', { title: 'Log in', email, errors });
}

export function authController(config: Config) {
  /** @route GET /signup */
  const getSignup: RequestHandler = (_req, res) => renderSignup(res, 200);

  /** @route POST /signup */
  const postSignup: RequestHandler = async (req, res) => {
    const errors = fieldErrors(req);
    if (errors) return renderSignup(res, 422, formValue(req.body?.email), errors);

    const { email, password } = matchedData<{ email: string; password: string }>(req);
    try {
      await User.create({ email, password: await hashPassword(password, config.BCRYPT_COST) });
    } catch (err) {
      if (!isDuplicateKeyError(err)) throw err;
      return renderSignup(res, 422, email, { email: 'An account with this email already exists. Log in instead?' });
    }
    flash(req, 'success', 'Your account is ready. Please log in.');
    await saveSession(req);
    res.redirect('/login');
  };

  /** @route GET /login */
  const getLogin: RequestHandler = (_req, res) => renderLogin(res, 200);

  /** @route POST /login */
  const postLogin: RequestHandler = async (req, res) => {
    const errors = fieldErrors(req);
    if (errors) {
      // Malformed input says what is wrong with it; it never reveals whether an account exists.
      return renderLogin(res, 422, formValue(req.body?.email), errors);
    }
    const { email, password } = matchedData<{ email: string; password: string }>(req);
    const user = await User.findOne({ email }).select('+password');
    const valid = user
      ? await verifyPassword(password, user.password)
      : await spendComparisonTime(password, config.BCRYPT_COST).then(() => false);
    if (!user || !valid) return renderLogin(res, 422, email, { form: LOGIN_FAILED });

    // The guest cart is keyed by the pre-login session id, which logIn replaces.
    if (req.session.hasGuestCart) await mergeGuestCart(req.sessionID, user);
    const returnTo = await logIn(req, { _id: user.id as string, email: user.email });
    res.redirect(returnTo);
  };

  /** @route POST /logout */
  const postLogout: RequestHandler = async (req, res) => {
    await destroySession(req);
    clearSessionCookie(res, config);
    res.redirect('/');
  };

  return { getSignup, postSignup, getLogin, postLogin, postLogout };
}

/**
 * Logs the visitor in under a new session id (against fixation) and resolves, with the page to go
 * to next, only once the login is stored in MongoDB: a redirect sent earlier could arrive at a page
 * that does not see the login yet.
 */
async function logIn(req: Request, user: { _id: string; email: string }): Promise<string> {
  const returnTo = safeReturnTo(req.session.returnTo);
  await regenerateSession(req);
  req.session.isLoggedIn = true;
  req.session.user = user;
  await saveSession(req);
  return returnTo;
}
