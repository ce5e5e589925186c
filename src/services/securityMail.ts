import type { Types } from 'mongoose';
import type { Config } from '../config/env';
import { dateFormats } from '../lib/dates';
import type { Mail, SendMail } from '../lib/mailer';
import type { RequestContext } from '../lib/requestContext';
import { issueToken } from './accountTokens';

export const NOT_ME_LINK_LIFETIME_MS = 7 * 24 * 60 * 60 * 1000;

/** What a security mail can be about (services/activity.ts mails most of them with the event). */
export type SecurityMailKind =
  | 'new-device'
  | 'password-changed'
  | 'password-reset'
  | 'remember-me-reuse'
  | 'email-change-requested'
  | 'email-changed'
  | 'two-factor-enabled'
  | 'two-factor-disabled'
  | 'two-factor-reset'
  | 'recovery-codes-replaced'
  | 'recovery-code-used'
  | 'browser-trusted'
  | 'passkey-added'
  | 'passkey-removed';

const WHAT: Record<SecurityMailKind, { subject: string; text: string }> = {
  'new-device': {
    subject: 'New sign-in to your Fernhill Goods account',
    text: 'Your Fernhill Goods account was just signed in to from a browser that had not signed in to it before.',
  },
  'password-changed': {
    subject: 'Your Fernhill Goods password was changed',
    text: 'The password of your Fernhill Goods account was just changed on its account page. Every other device that was signed in is signed out.',
  },
  'remember-me-reuse': {
    subject: 'A stolen sign-in token of your Fernhill Goods account was used',
    text: 'A "remember me" token of your Fernhill Goods account that had already been replaced was used again: someone may have copied it from your browser. Every remembered browser is signed out.',
  },
  'email-change-requested': {
    subject: 'A new address was asked for your Fernhill Goods account',
    text: 'Someone signed in to your Fernhill Goods account asked to move it to another email address. Nothing changes unless the link we sent to that address is opened within 24 hours.',
  },
  'email-changed': {
    subject: 'The email address of your Fernhill Goods account was changed',
    text: 'Your Fernhill Goods account no longer uses this address: the link sent to its new address was opened. Mail about the account now goes there.',
  },
  'two-factor-enabled': {
    subject: 'Two-step sign-in is on for your Fernhill Goods account',
    text: 'Two-step sign-in was just turned on for your Fernhill Goods account: after the password, signing in now asks for a code from an authenticator app.',
  },
  'two-factor-disabled': {
    subject: 'Two-step sign-in is off for your Fernhill Goods account',
    text: 'Two-step sign-in was just turned off on the account page of your Fernhill Goods account: its password alone signs in again, and every trusted browser is forgotten.',
  },
  'two-factor-reset': {
    subject: 'We turned off two-step sign-in for your Fernhill Goods account',
    text: 'At your request, after checking who you are, our staff turned off two-step sign-in for your Fernhill Goods account (a lost phone and lost recovery codes). Its password alone signs in now: sign in and turn it on again with your new phone.',
  },
  'recovery-codes-replaced': {
    subject: 'New recovery codes for your Fernhill Goods account',
    text: 'A new set of recovery codes was just made for your Fernhill Goods account. The old codes no longer work.',
  },
  'recovery-code-used': {
    subject: 'A recovery code of your Fernhill Goods account was used',
    text: 'Your Fernhill Goods account was just signed in to with its password and one of its recovery codes (instead of a code from the authenticator app). That code works no more.',
  },
  'browser-trusted': {
    subject: 'A browser now skips the code for your Fernhill Goods account',
    text: 'A browser that signed in to your Fernhill Goods account was trusted for 30 days: there, the password alone signs in, without a code from the authenticator app.',
  },
  'passkey-added': {
    subject: 'A passkey was added to your Fernhill Goods account',
    text: 'A passkey was just added to your Fernhill Goods account: it signs in without the password. "This wasn’t me" below also removes every passkey added in the last 24 hours.',
  },
  'passkey-removed': {
    subject: 'A passkey was removed from your Fernhill Goods account',
    text: 'A passkey of your Fernhill Goods account was just removed on its account page: it no longer signs in.',
  },
  'password-reset': {
    subject: 'Your Fernhill Goods password was changed',
    text: 'The password of your Fernhill Goods account was just reset with a link we mailed you. Every device that was signed in with the old password is signed out.',
  },
};

export function securityMail(
  email: string,
  event: SecurityMailKind,
  context: RequestContext,
  notMeToken: string,
  config: Pick<Config, 'APP_URL' | 'SHOP_TIME_ZONE'>,
  newEmail?: string,
): Mail {
  return {
    to: email,
    subject: WHAT[event].subject,
    text: [
      WHAT[event].text,
      ...(newEmail ? [`The new address: ${newEmail}`] : []),
      '',
      `When: ${dateFormats(config.SHOP_TIME_ZONE).formatLongDateTime(context.when)}`,
      `Browser: ${context.browser}`,
      `From the network: ${context.place}`,
      '',
      'If this was you, there is nothing to do.',
      '',
      'This wasn’t me: sign out every device and choose a new password (the link works once, for 7 days):',
      `${config.APP_URL}/account/not-me/${notMeToken}`,
      '',
      `Or just choose a new password: ${config.APP_URL}/reset`,
    ].join('\n'),
  };
}

/**
 * Mails the owner what happened, with a single-use "this wasn't me" link (stored hashed). Meant to
 * run after the response (see reportSecurityEvent in activity.ts), through a retrying mailer. A mail about an address
 * change names the new address, and its link gives the account back its old one.
 */
export async function sendSecurityMail(
  user: { _id: Types.ObjectId | string; email: string },
  event: SecurityMailKind,
  context: RequestContext,
  config: Pick<Config, 'APP_URL' | 'SHOP_TIME_ZONE'>,
  sendMail: SendMail,
  newEmail?: string,
): Promise<void> {
  const details = newEmail ? { restoreEmail: user.email } : {};
  const token = await issueToken(user._id, 'not-me', NOT_ME_LINK_LIFETIME_MS, details);
  await sendMail(securityMail(user.email, event, context, token, config, newEmail));
}
