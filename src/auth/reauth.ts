import type { Request, RequestHandler } from 'express';
import type { Config } from '../config/env';
import { saveSession } from '../lib/requestSession';
import { loginBudget, type Throttles } from '../services/throttle';
import { signedInUser } from './access';
import { trustedDevice } from './deviceCookie';
import { accountPasswordMatches } from './password';

/**
 * Whether `password` is the signed-in user's current one. Every check is counted like a login
 * attempt, on the same budgets as /login, so that a stolen session cannot be used to guess the
 * password through the account's forms; over the budget this throws TooManyAttemptsError (a 429
 * with Retry-After). A match gives the budget back.
 */
export async function currentPasswordMatches(
  req: Request,
  password: string,
  { config, throttles }: { config: Pick<Config, 'deviceCookieName' | 'SESSION_SECRET'>; throttles: Throttles },
): Promise<boolean> {
  const user = signedInUser(req);
  const device = trustedDevice(req.cookies?.[config.deviceCookieName], user.email, config.SESSION_SECRET);
  return accountPasswordMatches(user._id, password, loginBudget(throttles, user.email, device));
}

/** True when this session's password was entered within the last REAUTH_WINDOW seconds. */
export function recentlyAuthenticated(req: Request, config: Pick<Config, 'REAUTH_WINDOW'>): boolean {
  const enteredAt = req.session.reauthenticatedAt;
  return typeof enteredAt === 'number' && Date.now() - enteredAt <= config.REAUTH_WINDOW * 1000;
}

// Secrets are never kept in the session: a field that holds one is typed again.
const KEPT_FIELD = /^(?!_csrf$)(?!.*password)[\w.-]{1,40}$/i;
const MAX_KEPT_FIELDS = 20;

/** The fields of a form worth keeping to resubmit it: strings, no token, no password. */
function keptFields(body: unknown): Record<string, string> {
  if (typeof body !== 'object' || body === null) return {};
  const entries = Object.entries(body as Record<string, unknown>).filter(
    (entry): entry is [string, string] =>
      KEPT_FIELD.test(entry[0]) && typeof entry[1] === 'string' && entry[1].length <= 1000,
  );
  return Object.fromEntries(entries.slice(0, MAX_KEPT_FIELDS));
}

/** A password field the resubmitted form asks for again (a password is never kept in the session). */
export interface PasswordField {
  name: string;
  label: string;
  autocomplete: 'current-password' | 'new-password';
  /** A new password of the account: the page adds the account's rule (8 or 15 characters) to the label. */
  newPasswordOfAccount?: boolean;
}

/** What a form that needs a recent password shows when it is offered again after the confirmation. */
export interface ResubmitForm {
  /** The resubmit button's label, e.g. "Change password". */
  label: string;
  passwordFields?: PasswordField[];
}

/**
 * A page's declaration (a GET, after requireAuth) that it needs a password entered within
 * REAUTH_WINDOW: without one, the user confirms their password (and second factor) first, and
 * comes back to the page.
 */
export function requireRecentPasswordForPage(config: Pick<Config, 'REAUTH_WINDOW'>): RequestHandler {
  return async (req, res, next) => {
    if (recentlyAuthenticated(req, config)) return next();
    req.session.pendingForm = { action: req.originalUrl.split('?')[0] ?? '/account', fields: {}, page: true };
    await saveSession(req);
    res.redirect(303, '/account/confirm');
  };
}

/**
 * A route's declaration that it needs a password entered within REAUTH_WINDOW (after requireAuth,
 * on a POST that matters). Without one, keeps the form's fields and sends the user to confirm
 * their password (GET /account/confirm), which then offers the same form, as `form` describes it,
 * to resubmit.
 */
export function requireRecentPassword(config: Pick<Config, 'REAUTH_WINDOW'>) {
  return (form: ResubmitForm): RequestHandler =>
    async (req, res, next) => {
      if (recentlyAuthenticated(req, config)) return next();
      req.session.pendingForm = {
        action: req.originalUrl.split('?')[0] ?? '/account',
        fields: keptFields(req.body),
        label: form.label,
        passwordFields: form.passwordFields ?? [],
      };
      await saveSession(req);
      res.redirect(303, '/account/confirm');
    };
}
