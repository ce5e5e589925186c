import type { Request, Response } from 'express';
import type { Config } from '../config/env';
import { describeUserAgent } from '../lib/userAgent';
import { signedInUser } from '../auth/access';
import { rememberedDevices, seriesOf } from '../auth/rememberTokens';
import type { SessionControl } from '../config/sessionStore';
import type { FieldErrors } from '../validation';
import { ACCOUNT_PASSWORD } from '../validation/auth';

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

/** The user's live sessions for the page, named by their handle (the stored HMAC), never by their id. */
async function sessionList(req: Request, sessions: AccountPageDependencies['sessions']) {
  const list = await sessions.sessionsOfUser(signedInUser(req)._id.toString());
  const current = sessions.handleOf(req.sessionID);
  return list.map((s) => ({
    handle: s.handle,
    current: s.handle === current,
    device: describeUserAgent(s.userAgent),
    place: s.place,
    signedInWith: s.signedInWith,
    createdAt: s.createdAt,
    lastActive: s.lastActive,
  }));
}

/** The browsers that "remember me" logs back in; named by a handle, never by the cookie's parts. */
async function deviceList(req: Request, config: AccountPageDependencies['config']) {
  const thisBrowser = seriesOf(req.cookies?.[config.rememberCookieName]);
  const devices = await rememberedDevices(signedInUser(req)._id);
  return devices.map((d) => ({
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
  const [sessionItems, devices] = await Promise.all([sessionList(req, sessions), deviceList(req, config)]);
  res.status(status).render('account/index', {
    title: 'Your account',
    user: signedInUser(req),
    sessions: sessionItems,
    devices,
    passwordErrors: forms.password ?? {},
    passwordRule: ACCOUNT_PASSWORD,
    emailErrors: forms.email ?? {},
    deleteErrors: forms.delete ?? {},
    newEmail: forms.newEmail ?? '',
  });
}
