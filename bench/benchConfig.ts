import { parseConfig, type Config } from '../src/config/env';

/** A secret for the benchmark's throwaway sessions only. */
export const BENCH_SECRET = 'bench-secret-bench-secret-bench-secret-0123456789';
/** Keys the benchmark's sessions collection (SESSION_ID_HASH_SECRET), apart from the cookie secret. */
export const BENCH_ID_HASH_SECRET = 'bench-session-id-hash-secret-0123456789abcdef';
/** Encrypts the benchmark accounts' authenticator keys (DATA_ENCRYPTION_KEY; none has one). */
const BENCH_DATA_KEY = 'bench-data-encryption-key-0123456789abcdef';

/**
 * The environment the benchmarked app runs with: production (view cache on, Secure `__Host-`
 * cookies behind a TLS-terminating proxy, which the load generator plays by sending
 * X-Forwarded-Proto), bcrypt cost 12, quiet logs, and no throttling of the many logins from
 * 127.0.0.1. Expired sessions are swept hourly so that a sweep does not land inside a measurement.
 */
export function benchEnv(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    NODE_ENV: 'production',
    SESSION_SECRET: BENCH_SECRET,
    SESSION_ID_HASH_SECRET: BENCH_ID_HASH_SECRET,
    DATA_ENCRYPTION_KEY: BENCH_DATA_KEY,
    APP_URL: 'https://shop.bench.invalid',
    // Never used: nobody asks for a password reset here.
    SMTP_URL: 'smtp://127.0.0.1:9',
    // Production takes real money only: a Stripe account nobody calls here (no checkout is benchmarked).
    PAYMENT_PROVIDER: 'stripe',
    STRIPE_SECRET_KEY: 'sk_test_bench',
    STRIPE_WEBHOOK_SECRET: 'whsec_bench',
    TRUST_PROXY: 'loopback',
    BCRYPT_COST: '12',
    LOG_LEVEL: 'warn',
    SESSION_SWEEP_INTERVAL: '3600',
    LOGIN_MAX_FAILURES: '1000000',
    LOGIN_MAX_FAILURES_PER_IP: '1000000',
    SIGNUP_MAX_PER_HOUR: '1000000',
    // Every simulated visitor comes from 127.0.0.1: one network's share would cap the logins measured.
    PASSWORD_CHECKS_PER_NETWORK: '100000',
    GUEST_CARTS_PER_HOUR: '1000000',
    // The request's database budget (src/db/deadline.ts) runs from the request's arrival and ends it
    // with a 503 once a command of it has waited half a second with the database answering
    // nothing. On FerretDB one session scan at 20 000 stored sessions takes longer than that: at
    // the default 3 s the capacity experiment's logins answered 503 and it stopped. The benchmark
    // measures throughput, not that budget.
    MONGODB_TIMEOUT_MS: '60000',
    ...overrides,
  };
}

export function benchConfig(overrides: Record<string, string> = {}): Config {
  return parseConfig(benchEnv(overrides));
}

/** Headers every benchmark request carries: the proxy's word that the client used HTTPS. */
export const PROXY_HEADERS = { 'x-forwarded-proto': 'https' } as const;
