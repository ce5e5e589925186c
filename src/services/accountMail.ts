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
