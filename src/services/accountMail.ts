import type { Config } from '../config/env';
import type { Mail } from '../lib/mailer';

/** Tells the owner that their password changed, and what to do if it was not them (ASVS 6.3.7). */
export function passwordChangedMail(
  email: string,
  how: 'changed' | 'reset',
  config: Pick<Config, 'APP_URL'>,
  when = new Date(),
): Mail {
  return {
    to: email,
    subject: 'Your Fernhill Goods password was changed',
    text: [
      how === 'reset'
        ? 'The password of your Fernhill Goods account was just reset with a link we mailed you.'
        : 'The password of your Fernhill Goods account was just changed on its account page.',
      `When: ${when.toUTCString()}`,
      '',
      'Every device that was signed in with the old password is signed out.',
      '',
      `If this was not you, choose a new password at once: ${config.APP_URL}/reset`,
    ].join('\n'),
  };
}

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
