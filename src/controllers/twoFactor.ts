import type { Request, RequestHandler, Response } from 'express';
import QRCode from 'qrcode';
import { signedInUser } from '../auth/access';
import { turnOffTwoFactor, turnOnTwoFactor, replaceRecoveryCodes } from '../auth/twoFactor/factor';
import { FEW_RECOVERY_CODES } from '../auth/twoFactor/recoveryCodes';
import { newTotpKey, otpauthUri } from '../auth/twoFactor/totp';
import { cookieOptions } from '../config/session';
import { redirectWith } from '../lib/flash';
import { contextOf } from '../lib/requestContext';
import { saveSession } from '../lib/requestSession';
import { secretBoxOf } from '../lib/secretBox';
import { hasSecondFactor } from '../models/User';
import { reportSecurityEvent } from '../services/activity';
import type { AccountDependencies } from './account';

/** The key offered during setup is sealed in the session under this context (never a stored account's). */
const setupContext = (userId: string) => `setup:${userId}`;

export function twoFactorController(deps: AccountDependencies) {
  const { config } = deps;
  const box = secretBoxOf(config);

  /** The key this session's setup offers: the same one until a code proves it (a reload shows the same QR code). */
  async function setupKey(req: Request): Promise<string> {
    const userId = signedInUser(req)._id.toString();
    const sealed = req.session.twoFactorSetup?.sealedKey;
    if (sealed) {
      try {
        return box.open(sealed, setupContext(userId));
      } catch {
        // Sealed for another account signed in before in this browser, or under a key removed since.
      }
    }
    const key = newTotpKey();
    req.session.twoFactorSetup = { sealedKey: box.seal(key, setupContext(userId)) };
    await saveSession(req);
    return key;
  }

  function renderSetup(req: Request, res: Response, status: number, key: string, error?: string) {
    res.status(status).render('account/two-factor', { title: 'Two-step sign-in', on: false, key, error });
  }

  function renderCodes(res: Response, recoveryCodes: string[], fresh: 'on' | 'new') {
    const text = [
      'Fernhill Goods recovery codes. Each works once, instead of a code from your authenticator app.',
      '',
      ...recoveryCodes,
      '',
    ].join('\n');
    res.render('account/recovery-codes', {
      title: 'Your recovery codes',
      recoveryCodes,
      fresh,
      download: `data:text/plain;charset=utf-8,${encodeURIComponent(text)}`,
    });
  }

  /**
   * @route GET /account/two-factor — behind re-authentication: turning the factor on (a QR code and
   * the key, `#totp-secret`), or, once it is on, a new set of recovery codes and turning it off.
   */
  const getTwoFactor: RequestHandler = async (req, res) => {
    const user = signedInUser(req);
    if (hasSecondFactor(user)) {
      const left = user.twoFactor.recoveryCodes?.length ?? 0;
      return res.render('account/two-factor', {
        title: 'Two-step sign-in',
        on: true,
        enabledAt: user.twoFactor.enabledAt,
        recoveryCodesLeft: left,
        fewLeft: left <= FEW_RECOVERY_CODES,
      });
    }
    renderSetup(req, res, 200, await setupKey(req));
  };

  /** @route GET /account/two-factor/qr.svg — the setup's key as a QR code (from our own origin, see the CSP). */
  const getQrCode: RequestHandler = async (req, res) => {
    const user = signedInUser(req);
    if (hasSecondFactor(user) || !req.session.twoFactorSetup) return res.status(404).end();
    const svg = await QRCode.toString(otpauthUri(await setupKey(req), user.email), {
      type: 'svg',
      errorCorrectionLevel: 'M',
      margin: 2,
    });
    res.set('Cache-Control', 'no-store').type('image/svg+xml').send(svg);
  };

  /** @route POST /account/two-factor — field `code`: turns the factor on once the app's code proves it has the key. */
  const postTwoFactor: RequestHandler = async (req, res) => {
    const user = signedInUser(req);
    if (hasSecondFactor(user)) {
      return redirectWith(req, res, '/account/two-factor', { kind: 'info', text: 'Two-step sign-in is on already.' });
    }
    const key = await setupKey(req);
    const code: unknown = req.body?.code;
    if (typeof code !== 'string' || code.trim() === '' || code.length > 40) {
      return renderSetup(req, res, 422, key, 'Enter the 6-digit code your app shows.');
    }
    const outcome = await turnOnTwoFactor(user._id, key, code, box);
    if (outcome.kind === 'wrong-code') {
      return renderSetup(
        req,
        res,
        422,
        key,
        'That code does not match: check the app’s clock, and type the code it shows now.',
      );
    }
    delete req.session.twoFactorSetup;
    await saveSession(req);
    if (outcome.kind === 'already-on') {
      return redirectWith(req, res, '/account/two-factor', { kind: 'info', text: 'Two-step sign-in is on already.' });
    }
    reportSecurityEvent(req.afterResponse, deps, user, 'two-factor-enabled', { context: contextOf(req) });
    renderCodes(res, outcome.recoveryCodes, 'on');
  };

  /** @route POST /account/two-factor/recovery-codes — a new set; the old one stops working. */
  const postRecoveryCodes: RequestHandler = async (req, res) => {
    const user = signedInUser(req);
    const recoveryCodes = await replaceRecoveryCodes(user._id);
    if (!recoveryCodes) {
      return redirectWith(req, res, '/account/two-factor', { kind: 'error', text: 'Two-step sign-in is off.' });
    }
    reportSecurityEvent(req.afterResponse, deps, user, 'recovery-codes-replaced', { context: contextOf(req) });
    renderCodes(res, recoveryCodes, 'new');
  };

  /** @route POST /account/two-factor/disable — turns the factor off, and ends every trusted browser. */
  const postDisable: RequestHandler = async (req, res) => {
    const user = signedInUser(req);
    const wasOn = await turnOffTwoFactor(user._id);
    res.clearCookie(config.trustCookieName, cookieOptions(config));
    if (!wasOn) return redirectWith(req, res, '/account', { kind: 'info', text: 'Two-step sign-in was off already.' });
    reportSecurityEvent(req.afterResponse, deps, user, 'two-factor-disabled', { context: contextOf(req) });
    await redirectWith(req, res, '/account', {
      kind: 'success',
      text: 'Two-step sign-in is off: your password alone signs in. Trusted browsers are forgotten.',
    });
  };

  return { getTwoFactor, getQrCode, postTwoFactor, postRecoveryCodes, postDisable };
}
