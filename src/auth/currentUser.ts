import type { RequestHandler } from 'express';
import { User } from '../models/User';
import { regenerateSession } from '../lib/requestSession';

/**
 * Re-fetches the logged-in user from MongoDB on every request. The session holds plain data (an id
 * and an email), not a model with methods; the fresh document also reflects changes made since
 * login. A session whose user no longer exists, or whose login predates the user's last password
 * change, reset or "sign out everywhere" (an older credential epoch), is ended (replaced by an
 * empty anonymous one).
 */
export const loadCurrentUser: RequestHandler = async (req, res, next) => {
  const sessionUser = req.session.isLoggedIn ? req.session.user : undefined;
  if (sessionUser) {
    const user = await User.findById(sessionUser._id);
    if (user && user.credentialEpoch === (sessionUser.epoch ?? 0)) {
      req.user = user;
      // The address changed in another browser (services/emailChange.ts): this session's copy follows.
      if (sessionUser.email !== user.email) req.session.user = { ...sessionUser, email: user.email };
      // Pages for a signed-in user must not be kept by browsers or proxies.
      res.set('Cache-Control', 'no-store');
    } else {
      await regenerateSession(req);
    }
  }
  res.locals.isAuthenticated = Boolean(req.user);
  res.locals.currentUserEmail = req.user?.email;
  res.locals.isAdmin = req.user?.role === 'admin';
  res.locals.currentPath = req.path;
  // With its query: where a form's `returnTo` leads back to (a listing's search and page).
  res.locals.currentUrl = req.originalUrl;
  next();
};
