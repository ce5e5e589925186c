import { dateFormats } from '../lib/dates';
import type { Config } from '../config/env';
import type { Mail } from '../lib/mailer';

/**
 * The link that confirms a new account's address: its page asks for the account's password, so
 * that a password typed at signup by someone other than the address's owner never logs in.
 */
export function verifyMail(email: string, token: string, config: Pick<Config, 'APP_URL'>): Mail {
  return {
    to: email,
    subject: 'Confirm your Fernhill Goods account',
    text: [
      'Welcome to Fernhill Goods! Confirm that this address is yours to start using your account:',
      'open this link and choose your password there.',
      '',
      `${config.APP_URL}/verify/${token}`,
      '',
      'The link works once, for 24 hours.',
      '',
      'Did not sign up? Then someone typed your address, by mistake or on purpose. Ignore this mail:',
      'nobody can log in with your address unless you open this link and choose a password yourself.',
      'Should you want an account later, sign up with this address and you will get a new link.',
    ].join('\n'),
  };
}

/**
 * Told to the owner of an existing account when someone signs up with its address: the signup page
 * itself says the same "check your inbox" either way, so that it reveals no account.
 */
export function signupAttemptMail(
  email: string,
  config: Pick<Config, 'APP_URL' | 'SHOP_TIME_ZONE'>,
  when = new Date(),
): Mail {
  return {
    to: email,
    subject: 'Someone tried to sign up with your address',
    text: [
      'Someone (perhaps you) tried to create a Fernhill Goods account with this address, which already has one.',
      `When: ${dateFormats(config.SHOP_TIME_ZONE).formatLongDateTime(when)}`,
      '',
      `To log in: ${config.APP_URL}/login`,
      `Forgot your password? Choose a new one: ${config.APP_URL}/reset`,
      '',
      'If it was not you, you need not do anything: your account is unchanged.',
    ].join('\n'),
  };
}
