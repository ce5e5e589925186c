import { body } from 'express-validator';
import { passwordWeakness, wordsOfEmail, wordsOfName } from '../lib/passwordStrength';
import { MAX_PASSWORD_LENGTH, minimumPasswordLength, passwordLength } from '../lib/passwords';
import { hasSecondFactor, type TwoFactorFields } from '../models/User';

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

/** What a form's password rule depends on: the request (whose account has a second factor or not). */
interface RuleRequest {
  user?: { twoFactor?: TwoFactorFields | null };
  res?: { locals?: { passwordRule?: PasswordRule } };
}

/**
 * A new password within `rule` (fixed, or the account's: see `accountPasswordRule`), counted in
 * characters (code points, in any script: the whole of it is hashed, see lib/passwords.ts).
 */
const newPassword = (field: string, rule: PasswordRule | ((req: RuleRequest) => PasswordRule)) =>
  body(field)
    .isString()
    .withMessage('Choose a password.')
    .bail()
    .custom((value: string, { req }) => {
      const { minimum, maximum } = typeof rule === 'function' ? rule(req as RuleRequest) : rule;
      if (passwordLength(value) < minimum) throw new Error(`Use at least ${minimum} characters.`);
      if (passwordLength(value) > maximum) throw new Error(`Use at most ${maximum} characters.`);
      return true;
    })
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

/** How long a new password may be on one form: what its rules check and its page says. */
export interface PasswordRule {
  minimum: number;
  maximum: number;
}

/**
 * The password is the only factor of a new account (signup, and the confirmation link's page that
 * sets it): at least 15 characters.
 */
export const NEW_ACCOUNT_PASSWORD: PasswordRule = {
  minimum: minimumPasswordLength({ secondFactor: false }),
  maximum: MAX_PASSWORD_LENGTH,
};

/**
 * A new password of an existing account (the account page, a reset link's page): at least 15
 * characters while the password is its only factor, 8 once it has a second one (NIST SP 800-63B).
 */
export const accountPasswordRule = (
  account: { twoFactor?: TwoFactorFields | null } | null | undefined,
): PasswordRule => ({
  minimum: minimumPasswordLength({ secondFactor: account ? hasSecondFactor(account) : false }),
  maximum: MAX_PASSWORD_LENGTH,
});

/** The signed-in account's rule; on a reset link's page, the one its controller found (`res.locals.passwordRule`). */
const ruleOfRequest = (req: RuleRequest): PasswordRule =>
  req.res?.locals?.passwordRule ?? accountPasswordRule(req.user);

export const signupRules = [
  email(),
  newPassword('password', NEW_ACCOUNT_PASSWORD),
  confirmation('confirmPassword', 'password'),
];

export const resetRequestRules = [email()];

/** The confirmation link's page (/verify), which sets a new account's password. */
export const confirmAddressRules = [
  newPassword('password', NEW_ACCOUNT_PASSWORD),
  confirmation('confirmPassword', 'password'),
];

/** A reset link's page (/new-password). */
export const newPasswordRules = [newPassword('password', ruleOfRequest), confirmation('confirmPassword', 'password')];

const currentPassword = (field: string) =>
  body(field)
    .isString()
    .withMessage('Enter your current password.')
    .bail()
    .notEmpty()
    .withMessage('Enter your current password.');

export const changePasswordRules = [
  currentPassword('currentPassword'),
  newPassword('newPassword', ruleOfRequest),
  confirmation('confirmNewPassword', 'newPassword'),
];

export const deleteAccountRules = [currentPassword('password')];

export const changeEmailRules = [email(), currentPassword('password')];

export const loginRules = [
  email(),
  body('password').isString().withMessage('Enter your password.').bail().notEmpty().withMessage('Enter your password.'),
];
