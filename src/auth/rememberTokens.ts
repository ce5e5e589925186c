import { randomBytes } from 'node:crypto';
import { trusted, type Types } from 'mongoose';
import { serialized } from '../db';
import { hashToken } from '../models/PasswordReset';
import { RememberToken, type DeviceTokenKind } from '../models/RememberToken';
import { User, type UserDocument } from '../models/User';
import { endEverySession } from './credentials';

/**
 * A replaced token presented this soon after its replacement is a race of the owner's own tabs
 * (both sent the old cookie), not theft: it logs nobody in and revokes nothing.
 */
export const REUSE_GRACE_MS = 30_000;

const COOKIE_VALUE = /^([\w-]{22})\.([\w-]{43})$/;

/**
 * Matches the tokens of `kind`. Tokens stored before kinds existed have none: they are remember-me
 * tokens, and never count as a trusted browser's (a remember-me cookie copied into the trust
 * cookie skips nothing, and the other way round).
 */
const ofKind = (kind: DeviceTokenKind) => (kind === 'trust' ? { kind } : { kind: trusted({ $ne: 'trust' as const }) });

/**
 * Stores a new token of `series` (a new series when none) and returns the cookie's value. `kind`:
 * "remember" (the default) signs the browser back in; "trust" skips the second factor's prompt.
 */
export async function issueRememberToken(
  user: { _id: Types.ObjectId | string; credentialEpoch: number },
  lifetimeDays: number,
  userAgent: string | undefined,
  { kind = 'remember', series = randomBytes(16).toString('base64url'), seriesStartedAt }: SeriesOptions = {},
): Promise<string> {
  const secret = randomBytes(32).toString('base64url');
  const now = new Date();
  await RememberToken.create({
    userId: user._id,
    kind,
    series,
    tokenHash: hashToken(secret),
    epoch: user.credentialEpoch,
    userAgent: userAgent?.slice(0, 300),
    createdAt: now,
    seriesStartedAt: seriesStartedAt ?? now,
    expiresAt: new Date(now.getTime() + lifetimeDays * 86_400_000),
  });
  return `${series}.${secret}`;
}

interface SeriesOptions {
  kind?: DeviceTokenKind;
  /** The series the token continues (a rotation), and when it began. */
  series?: string;
  seriesStartedAt?: Date;
}

export type RememberOutcome =
  | { kind: 'restored'; user: UserDocument; cookie: string }
  | { kind: 'stolen'; userId: Types.ObjectId }
  | { kind: 'invalid' };

/**
 * Uses a remember-me cookie (or, with `kind: 'trust'`, a trusted browser's, of the account
 * `userId` only): the live token is claimed (one conditional update: of simultaneous uses one
 * wins) and replaced by a new one of its series. A token already replaced (outside the grace
 * period) means a copy was used: every session of the account ends and every token is revoked.
 */
export async function useRememberToken(
  cookie: unknown,
  lifetimeDays: number,
  userAgent?: string,
  { kind = 'remember', userId }: { kind?: DeviceTokenKind; userId?: Types.ObjectId | string } = {},
): Promise<RememberOutcome> {
  const match = typeof cookie === 'string' ? COOKIE_VALUE.exec(cookie) : null;
  if (!match) return { kind: 'invalid' };
  const [, series = '', secret = ''] = match;
  const tokenHash = hashToken(secret);
  const now = new Date();
  const ofThis = { tokenHash, series, ...ofKind(kind), ...(userId ? { userId } : {}) };
  const claimed = await serialized(`remember:${tokenHash}`, () =>
    RememberToken.findOneAndUpdate(
      { ...ofThis, replacedAt: null, expiresAt: trusted({ $gt: now }) },
      { $set: { replacedAt: now } },
    ),
  );
  if (!claimed) {
    const known = await RememberToken.findOne(ofThis);
    if (known?.replacedAt && now.getTime() - known.replacedAt.getTime() > REUSE_GRACE_MS) {
      // Whoever restored a session from the stolen copy is signed in now: every session of the
      // account ends with the epoch (the owner signs in again), then every token goes.
      await endEverySession(known.userId);
      await revokeRememberTokens(known.userId);
      return { kind: 'stolen', userId: known.userId };
    }
    return { kind: 'invalid' };
  }
  const user = await User.findById(claimed.userId);
  if (!user || !user.emailVerifiedAt || user.credentialEpoch !== claimed.epoch) {
    await RememberToken.deleteMany({ series });
    return { kind: 'invalid' };
  }
  const startedAt = claimed.seriesStartedAt ?? claimed.createdAt;
  const cookieValue = await issueRememberToken(user, lifetimeDays, userAgent, {
    kind,
    series,
    seriesStartedAt: startedAt,
  });
  // The owner may have removed this browser on /account meanwhile (its series deleted): the
  // replacement must not outlive that.
  if (!(await RememberToken.exists({ _id: claimed._id }))) {
    await RememberToken.deleteMany({ series });
    return { kind: 'invalid' };
  }
  return { kind: 'restored', user, cookie: cookieValue };
}

/** Ends every remember-me token of the account, and every trusted browser. */
export async function revokeRememberTokens(userId: Types.ObjectId | string): Promise<void> {
  await RememberToken.deleteMany({ userId });
}

/** Ends every trusted browser of the account (its remember-me tokens stay). Resolves to how many. */
export async function revokeTrustedBrowsers(userId: Types.ObjectId | string): Promise<number> {
  const { deletedCount } = await RememberToken.deleteMany({ userId, kind: 'trust' });
  return deletedCount;
}

/** Ends the series of this cookie (logout, or the owner removing the device). */
export async function forgetSeries(cookie: unknown, userId?: Types.ObjectId | string): Promise<void> {
  const match = typeof cookie === 'string' ? COOKIE_VALUE.exec(cookie) : null;
  if (match?.[1]) await RememberToken.deleteMany({ series: match[1], ...(userId ? { userId } : {}) });
}

/**
 * The name of a remembered browser on /account: a hash of its series, which is part of the cookie
 * (so never shown itself), and stays the same while the token rotates.
 */
export const deviceHandle = (series: string) => hashToken(`device:${series}`).slice(0, 32);

/** The series in a remember-me cookie, if it is one (to mark "this browser"). */
export const seriesOf = (cookie: unknown) =>
  typeof cookie === 'string' ? (COOKIE_VALUE.exec(cookie)?.[1] ?? null) : null;

/**
 * The account's remembered and trusted browsers (one live token each), most recently used first.
 * A token issued before the account's last credential change (its epoch is behind `epoch`) works
 * no more: it is not listed.
 */
export async function rememberedDevices(user: { _id: Types.ObjectId | string; credentialEpoch: number }) {
  const tokens = await RememberToken.find({
    userId: user._id,
    epoch: user.credentialEpoch ?? 0,
    replacedAt: null,
    expiresAt: trusted({ $gt: new Date() }),
  })
    .sort({ createdAt: -1 })
    .lean();
  return tokens.map((token) => {
    const startedAt = token.seriesStartedAt ?? token.createdAt;
    return {
      kind: token.kind ?? 'remember',
      series: token.series,
      handle: deviceHandle(token.series),
      userAgent: token.userAgent,
      startedAt,
      // Each use replaces the token: the live one was issued at the last use (none yet if the same).
      lastUsedAt: token.createdAt.getTime() > startedAt.getTime() ? token.createdAt : null,
    };
  });
}

/**
 * Forgets the remembered browser named `handle`: its whole series is deleted, and the result of
 * that delete decides, so of two simultaneous removals one reports it gone already. The series is
 * looked for among replaced tokens too: in the middle of a rotation the browser has no live token
 * for a moment. Resolves to the series deleted, or null.
 */
export async function forgetDevice(userId: Types.ObjectId | string, handle: unknown): Promise<string | null> {
  if (typeof handle !== 'string') return null;
  const known: string[] = await RememberToken.distinct('series', { userId });
  const series = known.find((candidate) => deviceHandle(candidate) === handle);
  if (!series) return null;
  const deleted = await serialized(`remember-series:${series}`, async () => {
    // A restore in flight may insert the series' next token while the first delete runs (a
    // multi-document delete is not atomic, on any server). It then checks that the token it
    // replaced still exists, which the first delete has ended by the time it returns; the second
    // delete takes whatever the restore inserted before that check.
    const first = await RememberToken.deleteMany({ userId, series });
    const second = await RememberToken.deleteMany({ userId, series });
    return first.deletedCount + second.deletedCount;
  });
  return deleted > 0 ? series : null;
}
