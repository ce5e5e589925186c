/**
 * The second step of a sign-in, for accounts with a second factor. A right password does not sign
 * in: it leaves a pending sign-in, whose single-use token only this browser's session holds, for 5
 * minutes; `/login/two-factor` then takes an authenticator code or a recovery code, and only then
 * does `signIn` run (a new session id, as for any sign-in). A browser the owner trusted (a device
 * token of kind "trust", see rememberTokens.ts: rotated at each use, a stolen copy detected) skips
 * the prompt, never re-authentication.
 */
import type { Request, Response } from 'express';
import type { Config } from '../../config/env';
import { cookieOptions } from '../../config/session';
import { contextOf } from '../../lib/requestContext';
import { saveSession } from '../../lib/requestSession';
import { secretBoxOf } from '../../lib/secretBox';
import { User, hasSecondFactor, type UserDocument } from '../../models/User';
import { reportSecurityEvent } from '../../services/activity';
import { claimToken, findUsableToken, issueToken } from '../../services/accountTokens';
import { loginBudget, type Throttles } from '../../services/throttle';
import { clientKey } from '../../lib/clientAddress';
import { trustedDevice } from '../deviceCookie';
import { reportStolenToken } from '../rememberMe';
import { issueRememberToken, useRememberToken } from '../rememberTokens';
import { signIn, type SignInDependencies } from '../signIn';
import { checkSecondFactor, type SecondFactorMethod } from './factor';

export const PENDING_SIGN_IN_MS = 5 * 60 * 1000;
/** How long "Trust this browser" skips the code prompt (ASVS and NIST allow up to 30 days). */
export const TRUSTED_BROWSER_DAYS = 30;

export interface SecondStepDependencies extends SignInDependencies {
  throttles: Throttles;
  sessions: SignInDependencies['sessions'] & Parameters<typeof reportStolenToken>[1]['sessions'];
}

const trustCookieOptions = (config: Config) => ({
  ...cookieOptions(config),
  maxAge: TRUSTED_BROWSER_DAYS * 86_400_000,
});

/**
 * After a right password at /login: signs in an account without a second factor, or one whose
 * browser it trusts; otherwise leaves the sign-in pending. Resolves to the page to go to next.
 */
export async function continueAfterPassword(
  req: Request,
  res: Response,
  deps: SecondStepDependencies,
  user: UserDocument,
  remember: boolean,
): Promise<string> {
  if (!hasSecondFactor(user)) return signIn(req, res, deps, user, { methods: ['password'], remember });
  const { config } = deps;
  const trustCookie: unknown = req.cookies?.[config.trustCookieName];
  if (trustCookie !== undefined) {
    const outcome = await useRememberToken(trustCookie, TRUSTED_BROWSER_DAYS, req.get('user-agent'), {
      kind: 'trust',
      userId: user._id,
    });
    if (outcome.kind === 'restored') {
      res.cookie(config.trustCookieName, outcome.cookie, trustCookieOptions(config));
      return signIn(req, res, deps, user, { methods: ['password', 'trusted-browser'], remember });
    }
    if (outcome.kind === 'stolen') {
      res.clearCookie(config.trustCookieName, cookieOptions(config));
      await reportStolenToken(req, deps, outcome.userId);
    }
    // Another account's trust (this browser may be trusted by two) is left alone: it is not this one's.
  }
  const token = await issueToken(user._id, 'two-factor', PENDING_SIGN_IN_MS, {
    epoch: user.credentialEpoch ?? 0,
    remember,
  });
  req.session.pendingSignIn = { token, email: user.email };
  await saveSession(req);
  return '/login/two-factor';
}

/** The sign-in this browser has pending, if it is still usable (unused, within its 5 minutes). */
export async function pendingSignInOf(req: Request) {
  const pending = req.session.pendingSignIn;
  return pending ? findUsableToken(pending.token, 'two-factor') : null;
}

export type SecondStepOutcome =
  /** Nothing pending here (never, used, or over 5 minutes ago): sign in again. */
  { kind: 'expired' } | { kind: 'wrong-code' } | { kind: 'signed-in'; next: string };

/**
 * The second step: checks `code` (counted on the sign-in budgets, see checkSecondFactor), then
 * claims the pending sign-in (single use: of two right codes at once, one signs in) and signs in,
 * unless the password changed meanwhile. With `trust`, the browser skips the prompt for 30 days.
 * Throws TooManyAttemptsError over the budget.
 */
export async function finishSecondStep(
  req: Request,
  res: Response,
  deps: SecondStepDependencies,
  { code, trust }: { code: string; trust: boolean },
): Promise<SecondStepOutcome> {
  const { config, throttles } = deps;
  const pending = await pendingSignInOf(req);
  const email = req.session.pendingSignIn?.email;
  if (!pending || !email) return { kind: 'expired' };
  const device = trustedDevice(req.cookies?.[config.deviceCookieName], email, config.SESSION_SECRET);
  const ip = clientKey(req.ip);
  await throttles.loginByIp.take(ip);
  const budget = loginBudget(throttles, email, device);
  const method = await checkSecondFactor(pending.userId, code, { box: secretBoxOf(config), budget });
  if (!method) {
    reportSecurityEvent(req.afterResponse, deps, { _id: pending.userId }, 'second-factor-failed', {
      context: contextOf(req),
    });
    return { kind: 'wrong-code' };
  }
  await throttles.loginByIp.giveBack(ip);
  return completePendingSignIn(req, res, deps, method, trust);
}

/**
 * Finishes this browser's pending sign-in once its second step passed by `method` (a code, or a
 * passkey of the account: see controllers/passkeys.ts): claims it (single use: of two right
 * answers at once, one signs in), refuses it if the password changed meanwhile, then signs in,
 * with the methods both steps used. With `trust`, the browser skips the prompt for 30 days.
 */
export async function completePendingSignIn(
  req: Request,
  res: Response,
  deps: SecondStepDependencies,
  method: SecondFactorMethod | 'passkey',
  trust: boolean,
): Promise<SecondStepOutcome> {
  const { config } = deps;
  const claimed = await claimToken(req.session.pendingSignIn?.token, 'two-factor');
  delete req.session.pendingSignIn;
  const user = claimed ? await User.findById(claimed.userId) : null;
  // A reset, a change or "this wasn't me" since the password was checked: that password is over.
  if (!user || (user.credentialEpoch ?? 0) !== claimed?.epoch || user.passwordBlockedAt) return { kind: 'expired' };

  const next = await signIn(req, res, deps, user, { methods: ['password', method], remember: claimed.remember });
  const context = contextOf(req);
  if (method === 'recovery-code') reportSecurityEvent(req.afterResponse, deps, user, 'recovery-code-used', { context });
  if (trust) {
    const cookie = await issueRememberToken(user, TRUSTED_BROWSER_DAYS, req.get('user-agent'), { kind: 'trust' });
    res.cookie(config.trustCookieName, cookie, trustCookieOptions(config));
    reportSecurityEvent(req.afterResponse, deps, user, 'browser-trusted', { context });
  }
  return { kind: 'signed-in', next };
}
