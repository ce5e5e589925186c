import type { Config } from '../config/env';
import type { Mail } from '../lib/mailer';

/** The link that confirms a new account's address (and so lets it log in). */
export function verifyMail(email: string, token: string, config: Pick<Config, 'APP_URL'>): Mail {
  return {
    to: email,
    subject: 'Confirm your Fernhill Goods account',
    text: [
      'Welcome to Fernhill Goods! Confirm that this address is yours to start using your account:',
      '',
      `${config.APP_URL}/verify/${token}`,
      '',
      'The link works once, for 24 hours. If you did not sign up, ignore this mail: nothing happens without it.',
    ].join('\n'),
  };
}

/**
 * Told to the owner of an existing account when someone signs up with its address: the signup page
 * itself says the same "check your inbox" either way, so that it reveals no account.
 */
export function signupAttemptMail(email: string, config: Pick<Config, 'APP_URL'>, when = new Date()): Mail {
  return {
    to: email,
    subject: 'Someone tried to sign up with your address',
    text: [
      'Someone (perhaps you) tried to create a Fernhill Goods account with this address, which already has one.',
      `When: ${when.toUTCString()}`,
      '',
      `To log in: ${config.APP_URL}/login`,
      `Forgot your password? Choose a new one: ${config.APP_URL}/reset`,
      '',
      'If it was not you, you need not do anything: your account is unchanged.',
    ].join('\n'),
  };
}
