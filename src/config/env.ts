import { randomBytes } from 'node:crypto';
import { isTimeZone, serverTimeZone } from '../lib/dates';
import path from 'node:path';
import dotenv from 'dotenv';
import { z } from 'zod';
import { parseCategories } from '../lib/categories';
import { checkCombinations } from './rules';
import { GENERATED_SECRETS, dataDirSecrets, type SecretProvider } from './secrets';

/** Where the app keeps local state in development: the embedded database and the generated secrets. */
export const DATA_DIR = path.resolve(__dirname, '..', '..', '.data');

/** A comma-separated list of secrets, newest first (the first signs or encrypts, all verify or decrypt). */
const secretList = z
  .string()
  .optional()
  .transform((value) =>
    value
      ?.split(',')
      .map((secret) => secret.trim())
      .filter(Boolean),
  );

const seconds = (fallback: number) => z.coerce.number().int().positive().default(fallback);

/**
 * Express's `trust proxy`: a hop count, or a comma-separated list of addresses or subnets of your
 * proxies (e.g. "loopback, 10.0.0.0/8"); "false" for none. "true" trusts every X-Forwarded-For
 * entry, which lets any client choose its own address (and so its own throttling budget): refused
 * in production.
 */
const trustProxy = z
  .string()
  .trim()
  .transform((value): boolean | number | string[] => {
    if (value === 'true') return true;
    if (value === 'false' || value === '') return false;
    if (/^\d+$/.test(value)) return Number(value);
    return value.split(',').map((part) => part.trim());
  });

const schema = z
  .object({
    NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
    HOST: z.string().min(1).default('127.0.0.1'),
    PORT: z.coerce.number().int().min(0).max(65535).default(3000),
    MONGODB_URI: z
      .string()
      .regex(/^mongodb(\+srv)?:\/\/\S+$/, 'a connection string starting with mongodb:// or mongodb+srv://')
      .optional(),
    MONGODB_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(3000),
    SESSION_SECRET: secretList,
    // Keys the sessions collection (documents hold an HMAC of the cookie's id, never the id).
    SESSION_ID_HASH_SECRET: z.string().trim().optional(),
    // Encrypts secrets stored in MongoDB (authenticator keys): comma-separated, the first encrypts,
    // every one decrypts (rotation, see lib/secretBox.ts).
    DATA_ENCRYPTION_KEY: secretList,
    // A login beyond this many live sessions of one account ends its least recently active ones.
    MAX_SESSIONS_PER_USER: z.coerce.number().int().min(1).max(1000).default(10),
    SESSION_COOKIE_NAME: z
      .string()
      .regex(/^[A-Za-z0-9_.-]+$/, 'letters, digits, "_", "." or "-"')
      .default('shop.sid'),
    // Idle timeout of a login (OWASP: 15–30 minutes for an app like this); the cookie itself ends
    // with the browser session.
    SESSION_MAX_AGE: seconds(30 * 60),
    // Idle timeout of a visitor's session that holds no login (a guest cart, a message).
    GUEST_SESSION_MAX_AGE: seconds(30 * 60),
    SESSION_SWEEP_INTERVAL: seconds(60),
    SESSION_TOUCH_INTERVAL: seconds(60),
    SESSION_ABSOLUTE_TTL: seconds(8 * 60 * 60),
    // How long a password entry counts for what needs a recent one (sign out everywhere, …).
    REAUTH_WINDOW: seconds(10 * 60),
    // How long a "remember me" token keeps a browser signed in across ended sessions.
    REMEMBER_ME_DAYS: z.coerce.number().int().min(1).max(400).default(30),
    TRUST_PROXY: trustProxy.default(false),
    BCRYPT_COST: z.coerce.number().int().min(4).max(15).default(12),
    // Unset: one thread fewer than the machine has cores (at least one). 0: on the main thread.
    PASSWORD_HASH_THREADS: z.coerce.number().int().min(0).max(64).optional(),
    // Worker processes of `npm start` (node's cluster module); more than 1 needs MONGODB_URI.
    WEB_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(1),
    WORKER_MIN_UPTIME: z.coerce.number().int().min(0).max(3600).default(10),
    PRODUCTS_PER_PAGE: z.coerce.number().int().min(1).max(100).default(8),
    // The shop's fixed list of categories, by name; each gets a URL-safe slug.
    PRODUCT_CATEGORIES: z
      .string()
      .default('Kitchen, Home, Garden, Stationery, Clothing & bags')
      .transform(parseCategories)
      .refine(
        (list) => list.length > 0 && list.every((category) => category.slug !== ''),
        'a comma-separated list of names',
      )
      .refine((list) => new Set(list.map((category) => category.slug)).size === list.length, 'names that differ'),
    APP_URL: z.url({ protocol: /^https?$/ }).optional(),
    // Who sells, as printed on invoices.
    SHOP_NAME: z.string().trim().min(1).max(100).default('Fernhill Goods'),
    SHOP_ADDRESS: z.string().trim().min(1).max(300).default('12 Fernhill Lane, Bristol BS1 4AB, United Kingdom'),
    SHOP_TIME_ZONE: z
      .string()
      .trim()
      .refine(isTimeZone, 'an IANA time zone such as Europe/London or America/New_York')
      .default(serverTimeZone),
    SMTP_URL: z
      .string()
      .regex(/^smtps?:\/\/\S+$/, 'an smtp:// or smtps:// URL, e.g. smtps://user:password@smtp.example.com')
      .optional(),
    MAIL_FROM: z.string().min(3).default('Fernhill Goods <no-reply@fernhill.example>'),
    MAIL_OUTBOX_DIR: z.string().min(1).default(path.join(DATA_DIR, 'outbox')),
    LOGIN_MAX_FAILURES: z.coerce.number().int().positive().default(5),
    LOGIN_MAX_FAILURES_PER_IP: z.coerce.number().int().positive().default(20),
    PASSWORD_CHECKS_PER_NETWORK: z.coerce.number().int().positive().default(2),
    LOGIN_THROTTLE_WINDOW: seconds(15 * 60),
    SIGNUP_MAX_PER_HOUR: z.coerce.number().int().positive().default(10),
    GUEST_CARTS_PER_HOUR: z.coerce.number().int().positive().default(30),
    RESET_MAX_PER_HOUR: z.coerce.number().int().positive().default(5),
    RESET_MAX_PER_ACCOUNT_PER_HOUR: z.coerce.number().int().positive().default(3),
    // Checkout: flat shipping rates, and how long stock stays held for a customer who is paying.
    SHIPPING_STANDARD_CENTS: z.coerce.number().int().min(0).max(100_000).default(495),
    SHIPPING_EXPRESS_CENTS: z.coerce.number().int().min(0).max(100_000).default(1495),
    STOCK_HOLD_MINUTES: z.coerce
      .number()
      .int()
      .min(1)
      .max(24 * 60)
      .default(15),
    // How often lapsed holds are released and unfinished refunds retried (services/payments.ts).
    PAYMENT_SWEEP_INTERVAL: seconds(30),
    // Fernhill Test Pay (offline, the default) or Stripe (src/payments/).
    PAYMENT_PROVIDER: z.enum(['test-pay', 'stripe']).default('test-pay'),
    // Test Pay signs its webhooks with it (generated into .data/ outside production).
    TEST_PAY_WEBHOOK_SECRET: z.string().trim().optional(),
    // Tests only: Test Pay misdelivers its webhooks (twice, late, out of order, badly signed).
    TEST_PAY_CHAOS: z
      .string()
      .optional()
      .transform((value) =>
        (value ?? '')
          .split(',')
          .map((mode) => mode.trim())
          .filter(Boolean),
      )
      .pipe(z.array(z.enum(['duplicate', 'late', 'out-of-order', 'bad-signature']))),
    STRIPE_SECRET_KEY: z
      .string()
      .trim()
      .regex(/^(sk|rk)_(test|live)_\S+$/, 'a Stripe secret key (sk_live_… or sk_test_…)')
      .optional(),
    STRIPE_WEBHOOK_SECRET: z
      .string()
      .trim()
      .regex(/^whsec_\S+$/, "the webhook endpoint's signing secret (whsec_…)")
      .optional(),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).optional(),
    // Tests only: the step at which the server kills itself (src/lib/faults.ts).
    FAULT_CRASH_AT: z
      .string()
      .regex(/^[a-z-]+:[a-z-]+$/, 'a crash point such as checkout:order-written')
      .optional(),
  })
  .superRefine(checkCombinations);

type ParsedEnv = z.infer<typeof schema>;

export interface Config extends Omit<
  ParsedEnv,
  | 'SESSION_SECRET'
  | 'SESSION_ID_HASH_SECRET'
  | 'DATA_ENCRYPTION_KEY'
  | 'LOG_LEVEL'
  | 'APP_URL'
  | 'TEST_PAY_WEBHOOK_SECRET'
> {
  /** Present (generated outside production); refused in production, where Test Pay is not allowed. */
  TEST_PAY_WEBHOOK_SECRET: string;
  /** Where the shop is reached, without a trailing slash. */
  APP_URL: string;
  /** APP_URL was set (not the localhost default): the server then names it as its address. */
  appUrlGiven: boolean;
  /** The first secret signs new cookies; all of them verify (rotation). */
  SESSION_SECRET: string[];
  SESSION_ID_HASH_SECRET: string;
  /** The first key encrypts new secrets; all of them decrypt (rotation). */
  DATA_ENCRYPTION_KEY: string[];
  LOG_LEVEL: NonNullable<ParsedEnv['LOG_LEVEL']>;
  isProduction: boolean;
  /**
   * NODE_ENV was not set (the development defaults apply): a deployment must set
   * NODE_ENV=production, and the start says so.
   */
  nodeEnvUnset: boolean;
  /**
   * The developer's tools (`/dev/mail`, every account's mail) are mounted: NODE_ENV=development set
   * explicitly, or left unset with the embedded database (a developer's machine: no MONGODB_URI).
   */
  devTools: boolean;
  /** The cookie's real name: `__Host-` prefixed in production, where the cookie is Secure. */
  sessionCookieName: string;
  /** The double-submit CSRF cookie (see middleware/csrf.ts), prefixed the same way. */
  csrfCookieName: string;
  /** The signed cookie of a browser that has logged in before (see auth/deviceCookie.ts). */
  deviceCookieName: string;
  /** The remember-me token's cookie (see auth/rememberTokens.ts). */
  rememberCookieName: string;
  /** The cookie of a browser trusted to skip the second factor (see auth/trustedBrowsers.ts). */
  trustCookieName: string;
  /** The token of this browser's passkey challenge, for 5 minutes (see auth/passkeys/challenges.ts). */
  webauthnCookieName: string;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

function describeIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `  ${issue.path.join('.') || '(environment)'}: ${issue.message}`).join('\n');
}

/**
 * Validates the environment into a typed configuration, and nothing else: it reads no file and
 * writes none (loadConfig supplies generated secrets). Throws a ConfigError naming every bad
 * variable and what it expects.
 */
export function parseConfig(env: NodeJS.ProcessEnv): Config {
  // An empty value (`APP_URL=` copied from .env.example) means "not set".
  const result = schema.safeParse(Object.fromEntries(Object.entries(env).filter(([, value]) => value !== '')));
  if (!result.success) {
    throw new ConfigError(`Invalid configuration:\n${describeIssues(result.error)}`);
  }
  const parsed = result.data;
  const isProduction = parsed.NODE_ENV === 'production';
  const nodeEnvUnset = !env.NODE_ENV;
  // Secure, Path=/ and no Domain, enforced by browsers (only production is served over HTTPS).
  const cookiePrefix = isProduction ? '__Host-' : '';
  return {
    ...parsed,
    // Both are present: the schema refuses a configuration without them.
    SESSION_SECRET: parsed.SESSION_SECRET ?? [],
    SESSION_ID_HASH_SECRET: parsed.SESSION_ID_HASH_SECRET ?? '',
    DATA_ENCRYPTION_KEY: parsed.DATA_ENCRYPTION_KEY ?? [],
    // Unset (tests that start no other process): one for this process, whose own Test Pay signs with it.
    TEST_PAY_WEBHOOK_SECRET: parsed.TEST_PAY_WEBHOOK_SECRET ?? randomBytes(32).toString('hex'),
    LOG_LEVEL: parsed.LOG_LEVEL ?? (parsed.NODE_ENV === 'test' ? 'silent' : 'info'),
    isProduction,
    nodeEnvUnset,
    devTools: env.NODE_ENV === 'development' || (nodeEnvUnset && !parsed.MONGODB_URI),
    sessionCookieName: `${cookiePrefix}${parsed.SESSION_COOKIE_NAME}`,
    csrfCookieName: `${cookiePrefix}${parsed.SESSION_COOKIE_NAME}.csrf`,
    deviceCookieName: `${cookiePrefix}${parsed.SESSION_COOKIE_NAME}.device`,
    rememberCookieName: `${cookiePrefix}${parsed.SESSION_COOKIE_NAME}.remember`,
    trustCookieName: `${cookiePrefix}${parsed.SESSION_COOKIE_NAME}.trust`,
    webauthnCookieName: `${cookiePrefix}${parsed.SESSION_COOKIE_NAME}.webauthn`,
    // Links in mails use this, never the request's Host header (which a client chooses).
    APP_URL: (parsed.APP_URL ?? `http://localhost:${parsed.PORT}`).replace(/\/$/, ''),
    appUrlGiven: parsed.APP_URL !== undefined,
  };
}

/**
 * The environment with the secrets it left unset filled in by `secrets`, outside production only
 * (production must set them), then validated.
 */
export function configWithSecrets(env: NodeJS.ProcessEnv, secrets: SecretProvider): Config {
  const filled: NodeJS.ProcessEnv = { ...env };
  if ((env.NODE_ENV || 'development') !== 'production') {
    for (const name of Object.keys(GENERATED_SECRETS) as Array<keyof typeof GENERATED_SECRETS>) {
      if (!env[name]?.trim()) filled[name] = secrets(name);
    }
  }
  return parseConfig(filled);
}

/**
 * Loads `.env` (if present) into the environment, fills in development's generated secrets (by
 * default from files under .data/), then validates.
 */
export function loadConfig(
  secrets: SecretProvider = dataDirSecrets(DATA_DIR, (message) => console.warn(message)),
): Config {
  dotenv.config({ quiet: true });
  return configWithSecrets(process.env, secrets);
}
