import type { Request, Response } from 'express';
import type { Config } from '../config/env';
import { describeUserAgent } from '../lib/userAgent';
import { signedInUser } from '../auth/access';
import { rememberedDevices, seriesOf } from '../auth/rememberTokens';
import type { SessionControl } from '../config/sessionStore';
import type { FieldErrors } from '../validation';
import { accountPasswordRule } from '../validation/auth';
import { FEW_RECOVERY_CODES } from '../auth/twoFactor/recoveryCodes';
import { hasSecondFactor } from '../models/User';
import { passkeysOf } from '../auth/passkeys/ceremonies';

/** The forms of /account, whose errors (and typed values) a failed submission shows again. */
export interface AccountForms {
  password?: FieldErrors;
  email?: FieldErrors;
  delete?: FieldErrors;
  /** What was typed into the new-address field. */
  newEmail?: string;
}

export interface AccountPageDependencies {
  config: Pick<Config, 'rememberCookieName'>;
  sessions: Pick<SessionControl, 'sessionsOfUser' | 'handleOf'>;
}

const METHOD_NAMES: Record<string, string> = {
  password: 'the password',
  'remember-me': '“remember me”',
  authenticator: 'an authenticator code',
  'recovery-code': 'a recovery code',
  'trusted-browser': 'a trusted browser',
  passkey: 'a passkey',
};

/** "the password and an authenticator code", from a session's or an event's methods. */
export const describeSignInMethods = (methods: readonly string[]): string =>
  methods.map((method) => METHOD_NAMES[method] ?? method).join(' and ');

/** The user's live sessions for the page, named by their handle (the stored HMAC), never by their id. */
async function sessionList(req: Request, sessions: AccountPageDependencies['sessions']) {
  const list = await sessions.sessionsOfUser(signedInUser(req)._id.toString());
  const current = sessions.handleOf(req.sessionID);
  return list.map((s) => ({
    handle: s.handle,
    current: s.handle === current,
    device: describeUserAgent(s.userAgent),
    place: s.place,
    signedInWith: describeSignInMethods(s.signInMethods?.split('+') ?? (s.signedInWith ? [s.signedInWith] : [])),
    createdAt: s.createdAt,
    lastActive: s.lastActive,
  }));
}

/** The browsers that "remember me" logs back in; named by a handle, never by the cookie's parts. */
async function deviceList(req: Request, config: AccountPageDependencies['config']) {
  const thisBrowser = seriesOf(req.cookies?.[config.rememberCookieName]);
  const devices = await rememberedDevices(signedInUser(req));
  return devices.map((d) => ({
    kind: d.kind,
    handle: d.handle,
    current: d.series === thisBrowser,
    device: describeUserAgent(d.userAgent),
    startedAt: d.startedAt,
    lastUsedAt: d.lastUsedAt,
  }));
}

/** Renders /account: profile, sessions, remembered browsers and the forms. */
export async function renderAccountPage(
  req: Request,
  res: Response,
  { config, sessions }: AccountPageDependencies,
  status = 200,
  forms: AccountForms = {},
): Promise<void> {
  const [sessionItems, devices, passkeys] = await Promise.all([
    sessionList(req, sessions),
    deviceList(req, config),
    passkeysOf(signedInUser(req)._id),
  ]);
  const user = signedInUser(req);
  const recoveryCodesLeft = user.twoFactor?.recoveryCodes?.length ?? 0;
  res.status(status).render('account/index', {
    title: 'Your account',
    user,
    twoFactor: {
      on: hasSecondFactor(user),
      recoveryCodesLeft,
      fewLeft: recoveryCodesLeft <= FEW_RECOVERY_CODES,
    },
    sessions: sessionItems,
    devices,
    passkeys: passkeys.map((passkey) => ({
      id: passkey._id.toString(),
      name: passkey.name,
      createdAt: passkey.createdAt,
      lastUsedAt: passkey.lastUsedAt,
    })),
    passwordErrors: forms.password ?? {},
    passwordRule: accountPasswordRule(user),
    emailErrors: forms.email ?? {},
    deleteErrors: forms.delete ?? {},
    newEmail: forms.newEmail ?? '',
  });
}
