import type { z } from 'zod';
import { GENERATED_SECRETS } from './secrets';

const MIN_PRODUCTION_SECRET_LENGTH = 32;
/** DATA_ENCRYPTION_KEY's minimum everywhere: the session store refuses shorter keys (it encrypts the sessions). */
const MIN_DATA_KEY_LENGTH = 32;

/** The variables as the schema (env.ts) parsed them, before the rules that involve several. */
export interface ParsedFields {
  NODE_ENV: 'development' | 'production' | 'test';
  FAULT_CRASH_AT?: string | undefined;
  SESSION_TOUCH_INTERVAL: number;
  SESSION_MAX_AGE: number;
  GUEST_SESSION_MAX_AGE: number;
  SESSION_ABSOLUTE_TTL: number;
  SESSION_SECRET?: string[] | undefined;
  SESSION_ID_HASH_SECRET?: string | undefined;
  DATA_ENCRYPTION_KEY?: string[] | undefined;
  SMTP_URL?: string | undefined;
  APP_URL?: string | undefined;
  TRUST_PROXY: boolean | number | string[];
  BCRYPT_COST: number;
  PAYMENT_PROVIDER: 'test-pay' | 'stripe';
  TEST_PAY_WEBHOOK_SECRET?: string | undefined;
  TEST_PAY_CHAOS: string[];
  STRIPE_SECRET_KEY?: string | undefined;
  STRIPE_WEBHOOK_SECRET?: string | undefined;
}

/** The rules between variables, and what production requires: each broken one an issue naming its variable. */
export function checkCombinations(env: ParsedFields, ctx: z.RefinementCtx): void {
  if (env.FAULT_CRASH_AT && env.NODE_ENV !== 'test') {
    ctx.addIssue({ code: 'custom', path: ['FAULT_CRASH_AT'], message: 'only for the tests (NODE_ENV=test)' });
  }
  if (env.TEST_PAY_CHAOS.length > 0 && env.NODE_ENV !== 'test') {
    ctx.addIssue({ code: 'custom', path: ['TEST_PAY_CHAOS'], message: 'only for the tests (NODE_ENV=test)' });
  }
  if (env.PAYMENT_PROVIDER === 'stripe') {
    for (const name of ['STRIPE_SECRET_KEY', 'STRIPE_WEBHOOK_SECRET'] as const) {
      if (!env[name]) ctx.addIssue({ code: 'custom', path: [name], message: 'required with PAYMENT_PROVIDER=stripe' });
    }
  }
  if (env.SESSION_TOUCH_INTERVAL >= Math.min(env.SESSION_MAX_AGE, env.GUEST_SESSION_MAX_AGE)) {
    // An active user's session would expire between two writes of its expiry.
    ctx.addIssue({
      code: 'custom',
      path: ['SESSION_TOUCH_INTERVAL'],
      message: 'must be less than SESSION_MAX_AGE and GUEST_SESSION_MAX_AGE',
    });
  }
  if (env.SESSION_MAX_AGE > env.SESSION_ABSOLUTE_TTL) {
    // Otherwise the absolute lifetime always comes first: there is no inactivity timeout at all.
    ctx.addIssue({
      code: 'custom',
      path: ['SESSION_MAX_AGE'],
      message: 'the idle timeout must not be longer than SESSION_ABSOLUTE_TTL',
    });
  }
  const secrets = env.SESSION_SECRET ?? [];
  if (env.SESSION_ID_HASH_SECRET && secrets.includes(env.SESSION_ID_HASH_SECRET)) {
    // One leaked secret would then both sign cookies and tell which document a cookie's id keys.
    ctx.addIssue({
      code: 'custom',
      path: ['SESSION_ID_HASH_SECRET'],
      message: 'must differ from every SESSION_SECRET',
    });
  }
  if ((env.DATA_ENCRYPTION_KEY ?? []).some((key) => key.length < MIN_DATA_KEY_LENGTH)) {
    ctx.addIssue({
      code: 'custom',
      path: ['DATA_ENCRYPTION_KEY'],
      message: `each key must have at least ${MIN_DATA_KEY_LENGTH} characters (it encrypts sessions and authenticator keys)`,
    });
  }
  if (env.NODE_ENV !== 'production') {
    for (const name of Object.keys(GENERATED_SECRETS) as Array<keyof typeof GENERATED_SECRETS>) {
      // Generated for each process when unset (env.ts): only the process's own Test Pay signs with it.
      if (name === 'TEST_PAY_WEBHOOK_SECRET') continue;
      const value = env[name];
      if (value === undefined || value.length === 0) {
        ctx.addIssue({
          code: 'custom',
          path: [name],
          message: 'not set (outside production, loadConfig generates one into .data/)',
        });
      }
    }
    return;
  }
  if (secrets.length === 0 || secrets.some((s) => s.length < MIN_PRODUCTION_SECRET_LENGTH)) {
    ctx.addIssue({
      code: 'custom',
      path: ['SESSION_SECRET'],
      message: `required in production: one or more comma-separated secrets of at least ${MIN_PRODUCTION_SECRET_LENGTH} characters each`,
    });
  }
  if ((env.SESSION_ID_HASH_SECRET ?? '').length < MIN_PRODUCTION_SECRET_LENGTH) {
    ctx.addIssue({
      code: 'custom',
      path: ['SESSION_ID_HASH_SECRET'],
      message: `required in production: a secret of at least ${MIN_PRODUCTION_SECRET_LENGTH} characters, apart from SESSION_SECRET`,
    });
  }
  const dataKeys = env.DATA_ENCRYPTION_KEY ?? [];
  if (dataKeys.length === 0 || dataKeys.some((key) => key.length < MIN_PRODUCTION_SECRET_LENGTH)) {
    ctx.addIssue({
      code: 'custom',
      path: ['DATA_ENCRYPTION_KEY'],
      message: `required in production: one or more comma-separated keys of at least ${MIN_PRODUCTION_SECRET_LENGTH} characters each (the first encrypts)`,
    });
  }
  if (!env.SMTP_URL) {
    ctx.addIssue({
      code: 'custom',
      path: ['SMTP_URL'],
      message: 'required in production: password reset mails must be sent',
    });
  }
  if (!env.APP_URL?.startsWith('https://')) {
    ctx.addIssue({
      code: 'custom',
      path: ['APP_URL'],
      message: "required in production: the shop's public https:// address",
    });
  }
  if (env.TRUST_PROXY === true) {
    ctx.addIssue({
      code: 'custom',
      path: ['TRUST_PROXY'],
      message:
        'must not be "true" in production (any client could then choose its own address): give the number of proxies in front of the shop, e.g. 1, or their addresses/subnets',
    });
  }
  if (env.PAYMENT_PROVIDER === 'test-pay') {
    ctx.addIssue({
      code: 'custom',
      path: ['PAYMENT_PROVIDER'],
      message:
        'Fernhill Test Pay takes no money: set PAYMENT_PROVIDER=stripe (with STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET) in production',
    });
  }
  if (env.BCRYPT_COST < 12) {
    ctx.addIssue({ code: 'custom', path: ['BCRYPT_COST'], message: 'must be at least 12 in production' });
  }
}
