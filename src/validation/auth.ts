import { body } from 'express-validator';
import { passwordWeakness, wordsOfEmail, wordsOfName } from '../lib/passwordStrength';
import { MAX_PASSWORD_BYTES, MIN_PASSWORD_LENGTH } from '../lib/passwords';

// Every field is checked to be a string first: a repeated key (an array) or a JSON object such as
// {"$gt": ""} is refused here, before any query sees it.
const email = () =>
  body('email')
    .isString()
    .withMessage('Enter your email address.')
    .bail()
    .trim()
    .isLength({ max: 254 })
    .withMessage('That email address is too long.')
    .bail()
    .isEmail()
    .withMessage('Enter a valid email address.')
    .bail()
    .toLowerCase();

const newPassword = (field: string) =>
  body(field)
    .isString()
    .withMessage('Choose a password.')
    .bail()
    .isLength({ min: MIN_PASSWORD_LENGTH })
    .withMessage(`Use at least ${MIN_PASSWORD_LENGTH} characters.`)
    .bail()
    .custom((value: string) => Buffer.byteLength(value, 'utf8') <= MAX_PASSWORD_BYTES)
    .withMessage(
      `Use at most ${MAX_PASSWORD_BYTES} bytes (about ${MAX_PASSWORD_BYTES} letters, fewer with accents or emoji).`,
    )
    .bail()
    // Common and easily guessed passwords (see lib/passwordStrength), on signup, reset and change.
    .custom((value: string, { req }) => {
      const request = req as {
        body?: { email?: unknown };
        user?: { email?: string };
        app?: { locals?: { shopName?: unknown } };
      };
      // What an attacker tries first against this account of this shop (ASVS 6.2.11).
      const shopName = request.app?.locals?.shopName;
      const related = [
        ...wordsOfEmail(request.body?.email ?? request.user?.email),
        ...(typeof shopName === 'string' ? wordsOfName(shopName) : []),
      ];
      const weakness = passwordWeakness(value, related);
      if (weakness) throw new Error(weakness);
      return true;
    });

const confirmation = (field: string, of: string) =>
  body(field)
    .custom((value: unknown, { req }) => typeof value === 'string' && value === req.body?.[of])
    .withMessage('The passwords do not match.');

export const signupRules = [email(), newPassword('password'), confirmation('confirmPassword', 'password')];

export const resetRequestRules = [email()];

export const newPasswordRules = [newPassword('password'), confirmation('confirmPassword', 'password')];

const currentPassword = (field: string) =>
  body(field)
    .isString()
    .withMessage('Enter your current password.')
    .bail()
    .notEmpty()
    .withMessage('Enter your current password.');

export const changePasswordRules = [
  currentPassword('currentPassword'),
  newPassword('newPassword'),
  confirmation('confirmNewPassword', 'newPassword'),
];

export const deleteAccountRules = [currentPassword('password')];

export const changeEmailRules = [email(), currentPassword('password')];

export const loginRules = [
  email(),
  body('password').isString().withMessage('Enter your password.').bail().notEmpty().withMessage('Enter your password.'),
];
