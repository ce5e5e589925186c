import type { Request, RequestHandler, Response } from 'express';
import type { Types } from 'mongoose';
import { signedInUser } from '../auth/access';
import { CHALLENGE_LIFETIME_MS, claimChallenge, storeChallenge } from '../auth/passkeys/challenges';
import {
  addPasskey,
  authenticationOptions,
  registrationOptions,
  relyingPartyOf,
  removePasskey,
  renamePasskey,
  verifyPasskey,
  type Refusal,
} from '../auth/passkeys/ceremonies';
import { recentlyAuthenticated } from '../auth/reauth';
import { signIn } from '../auth/signIn';
import { completePendingSignIn, pendingSignInOf } from '../auth/twoFactor/secondStep';
import { cookieOptions } from '../config/session';
import { redirectWith } from '../lib/flash';
import { contextOf } from '../lib/requestContext';
import { renewSessionId, saveSession } from '../lib/requestSession';
import { describeUserAgent } from '../lib/userAgent';
import { MAX_PASSKEY_NAME_LENGTH } from '../models/Passkey';
import { User } from '../models/User';
import type { ChallengePurpose } from '../models/WebAuthnChallenge';
import { reportSecurityEvent } from '../services/activity';
import type { AuthDependencies } from './auth';
import { resubmitPage } from './reauth';

const EXPIRED = 'This passkey request expired or was used already. Please try again.';
const NOT_ACCEPTED =
  'That passkey was not accepted: it may have been removed from your account, or belong to another one. Try again, or use your password.';
const ADDED = 'Your passkey is added: next time, sign in with it instead of your password.';

/**
 * The passkey ceremonies (auth/passkeys/): each is two JSON requests from public/js/passkeys.js,
 * options then the authenticator's answer, with the CSRF token in the body. The options store a
 * challenge bound to this browser (a cookie holds its token); the answer claims it first. A
 * refused answer is logged (and recorded on the account it named) and told in one sentence: 400,
 * never a 500.
 */
export function passkeyController(deps: AuthDependencies) {
  const { config, logger } = deps;
  const rp = relyingPartyOf(config);

  async function sendOptions(
    res: Response,
    options: { challenge: string },
    purpose: ChallengePurpose,
    userId?: Types.ObjectId,
  ) {
    const token = await storeChallenge(options.challenge, purpose, userId ?? null);
    res.cookie(config.webauthnCookieName, token, {
      ...cookieOptions(config),
      sameSite: 'strict',
      maxAge: CHALLENGE_LIFETIME_MS,
    });
    res.json(options);
  }

  /** Claims this browser's challenge for `purpose` (gone afterwards, used or not). */
  async function takeChallenge(req: Request, res: Response, purpose: ChallengePurpose) {
    const challenge = await claimChallenge(req.cookies?.[config.webauthnCookieName], purpose);
    res.clearCookie(config.webauthnCookieName, cookieOptions(config));
    return challenge;
  }

  function refuse(req: Request, res: Response, refusal: Refusal, message = NOT_ACCEPTED) {
    logger.warn({ reason: refusal.reason, path: req.path }, 'refused a passkey answer');
    if (refusal.userId) {
      reportSecurityEvent(req.afterResponse, deps, { _id: refusal.userId }, 'passkey-refused', {
        context: contextOf(req),
      });
    }
    res.status(400).json({ error: message });
  }

  /** A JSON request that needs a recent password: the page goes to confirm it first, and comes back. */
  async function needsRecentPassword(req: Request, res: Response, back: string): Promise<boolean> {
    if (recentlyAuthenticated(req, config)) return false;
    req.session.pendingForm = { action: back, fields: {}, page: true };
    await saveSession(req);
    res.status(401).json({ error: 'Confirm it is you first.', redirect: '/account/confirm' });
    return true;
  }

  /** @route POST /account/passkeys/options — behind re-authentication. */
  const postRegistrationOptions: RequestHandler = async (req, res) => {
    if (await needsRecentPassword(req, res, '/account')) return;
    const user = signedInUser(req);
    await sendOptions(res, await registrationOptions(rp, user), 'register', user._id);
  };

  /** @route POST /account/passkeys — field `response`: the authenticator's new credential. */
  const postRegister: RequestHandler = async (req, res) => {
    if (await needsRecentPassword(req, res, '/account')) return;
    const user = signedInUser(req);
    const challenge = await takeChallenge(req, res, 'register');
    if (!challenge?.userId?.equals(user._id)) return void res.status(400).json({ error: EXPIRED });
    const name = describeUserAgent(req.get('user-agent'));
    const outcome = await addPasskey(rp, user._id, req.body?.response, challenge.challenge, name);
    if (outcome.kind === 'duplicate') {
      return void res.status(409).json({ error: 'This passkey is registered already.' });
    }
    if (outcome.kind === 'refused') {
      return refuse(req, res, { ...outcome, userId: user._id }, 'That passkey could not be added. Please try again.');
    }
    reportSecurityEvent(req.afterResponse, deps, user, 'passkey-added', {
      context: contextOf(req),
      passkey: outcome.passkey.name,
    });
    req.session.flash = { ...req.session.flash, success: [ADDED] };
    await saveSession(req);
    res.json({ redirect: '/account' });
  };

  /** @route POST /account/passkeys/rename — fields `passkey` (its id) and `name`. */
  const postRename: RequestHandler = async (req, res) => {
    const name = typeof req.body?.name === 'string' ? req.body.name.trim() : '';
    if (name === '' || name.length > MAX_PASSKEY_NAME_LENGTH) {
      return redirectWith(req, res, '/account', {
        kind: 'error',
        text: `A passkey’s name has 1 to ${MAX_PASSKEY_NAME_LENGTH} characters.`,
      });
    }
    if (!(await renamePasskey(signedInUser(req)._id, req.body?.passkey, name))) {
      return redirectWith(req, res, '/account', { kind: 'error', text: 'That passkey is no longer on your account.' });
    }
    await redirectWith(req, res, '/account', { kind: 'success', text: `The passkey is now called “${name}”.` });
  };

  /** @route POST /account/passkeys/remove — field `passkey` (its id); behind re-authentication. */
  const postRemove: RequestHandler = async (req, res) => {
    const user = signedInUser(req);
    const name = await removePasskey(user._id, req.body?.passkey);
    if (name === null) {
      return redirectWith(req, res, '/account', { kind: 'info', text: 'That passkey was removed already.' });
    }
    reportSecurityEvent(req.afterResponse, deps, user, 'passkey-removed', { context: contextOf(req), passkey: name });
    await redirectWith(req, res, '/account', { kind: 'success', text: `The passkey “${name}” is removed.` });
  };

  /** @route POST /login/passkey/options — any passkey of this site (the button, and autofill in the email field). */
  const postSignInOptions: RequestHandler = async (_req, res) => {
    await sendOptions(res, await authenticationOptions(rp), 'sign-in');
  };

  /**
   * @route POST /login/passkey — field `response`. A passkey with user verification is two
   * factors in one (something held, unlocked by something known or a body part): no code prompt.
   */
  const postSignIn: RequestHandler = async (req, res) => {
    const challenge = await takeChallenge(req, res, 'sign-in');
    if (!challenge) return void res.status(400).json({ error: EXPIRED });
    const outcome = await verifyPasskey(rp, req.body?.response, challenge);
    if (outcome.kind === 'refused') return refuse(req, res, outcome);
    const user = await User.findById(outcome.userId);
    if (!user) return refuse(req, res, { kind: 'refused', reason: 'its account is gone' });
    if (!user.emailVerifiedAt) {
      return void res.status(403).json({ error: 'Confirm your email address first: open the link we mailed you.' });
    }
    const next = await signIn(req, res, deps, user, { methods: ['passkey'] });
    res.json({ redirect: next });
  };

  /** @route POST /login/two-factor/passkey/options — the pending account's passkeys only. */
  const postSecondFactorOptions: RequestHandler = async (req, res) => {
    const pending = await pendingSignInOf(req);
    if (!pending) return void res.status(400).json({ error: EXPIRED, redirect: '/login' });
    await sendOptions(res, await authenticationOptions(rp, pending.userId), 'second-factor', pending.userId);
  };

  /** @route POST /login/two-factor/passkey — field `response`: a passkey instead of the code. */
  const postSecondFactor: RequestHandler = async (req, res) => {
    const challenge = await takeChallenge(req, res, 'second-factor');
    const pending = await pendingSignInOf(req);
    if (!challenge || !pending || !challenge.userId?.equals(pending.userId)) {
      return void res.status(400).json({ error: EXPIRED });
    }
    const outcome = await verifyPasskey(rp, req.body?.response, challenge);
    if (outcome.kind === 'refused') return refuse(req, res, outcome);
    const done = await completePendingSignIn(req, res, deps, 'passkey', false);
    if (done.kind !== 'signed-in') return void res.status(400).json({ error: EXPIRED, redirect: '/login' });
    res.json({ redirect: done.next });
  };

  /** @route POST /account/confirm/passkey/options — this account's passkeys only. */
  const postReauthOptions: RequestHandler = async (req, res) => {
    const user = signedInUser(req);
    await sendOptions(res, await authenticationOptions(rp, user._id), 'reauth', user._id);
  };

  /** @route POST /account/confirm/passkey — field `response`: re-authentication by passkey (a new session id). */
  const postReauth: RequestHandler = async (req, res) => {
    const user = signedInUser(req);
    const challenge = await takeChallenge(req, res, 'reauth');
    if (!challenge?.userId?.equals(user._id)) return void res.status(400).json({ error: EXPIRED });
    const outcome = await verifyPasskey(rp, req.body?.response, challenge);
    if (outcome.kind === 'refused') return refuse(req, res, outcome);
    await renewSessionId(req);
    req.session.reauthenticatedAt = Date.now();
    // A page goes straight back; a form waits in the session for /account/confirm/continue.
    const pending = req.session.pendingForm;
    if (pending?.page) delete req.session.pendingForm;
    await saveSession(req);
    const next = pending?.page ? pending.action : pending ? '/account/confirm/continue' : '/account';
    res.json({ redirect: next });
  };

  /** @route GET /account/confirm/continue — after a passkey confirmation: the form to resubmit. */
  const getContinue: RequestHandler = async (req, res) => {
    if (!recentlyAuthenticated(req, config) || !req.session.pendingForm) return res.redirect('/account');
    await resubmitPage(req, res);
  };

  return {
    postRegistrationOptions,
    postRegister,
    postRename,
    postRemove,
    postSignInOptions,
    postSignIn,
    postSecondFactorOptions,
    postSecondFactor,
    postReauthOptions,
    postReauth,
    getContinue,
  };
}
