import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import dotenv from 'dotenv';
import { ConfigError, configWithSecrets, parseConfig } from '../src/config/env';
import { dataDirSecrets, type GeneratedSecret } from '../src/config/secrets';

const tempDir = () => fs.mkdtempSync(path.join(os.tmpdir(), 'shop-config-'));
const LONG_SECRET = 'x'.repeat(32);
const ID_SECRET = 'i'.repeat(32);
const DATA_KEY = 'd'.repeat(32);
/** The three secrets, long enough for production. */
const SECRETS = { SESSION_SECRET: LONG_SECRET, SESSION_ID_HASH_SECRET: ID_SECRET, DATA_ENCRYPTION_KEY: DATA_KEY };
/** What production requires besides the secret. */
const PRODUCTION = {
  NODE_ENV: 'production',
  SMTP_URL: 'smtps://user:pass@smtp.example.com',
  APP_URL: 'https://shop.example',
  PAYMENT_PROVIDER: 'stripe',
  STRIPE_SECRET_KEY: 'sk_test_config',
  STRIPE_WEBHOOK_SECRET: 'whsec_config',
};

describe('configuration', () => {
  it('has safe defaults: port 3000, bcrypt cost 12, a cookie that is not connect.sid', () => {
    const config = parseConfig({ ...SECRETS });
    expect(config.PORT).toBe(3000);
    expect(config.BCRYPT_COST).toBe(12);
    expect(config.sessionCookieName).toBe('shop.sid');
  });

  it('names the cookie with the __Host- prefix in production', () => {
    const config = parseConfig({ ...PRODUCTION, ...SECRETS });
    expect(config.sessionCookieName).toBe('__Host-shop.sid');
  });

  it('takes a crash point (FAULT_CRASH_AT) only for the tests, never in development or production', () => {
    const env = { ...SECRETS, FAULT_CRASH_AT: 'checkout:order-written' };
    expect(parseConfig({ ...env, NODE_ENV: 'test' }).FAULT_CRASH_AT).toBe('checkout:order-written');
    expect(() => parseConfig(env)).toThrow(/FAULT_CRASH_AT: only for the tests/);
    expect(() => parseConfig({ ...PRODUCTION, ...env })).toThrow(/FAULT_CRASH_AT/);
  });

  it('reads a comma-separated SESSION_SECRET as a rotation list, first one signing', () => {
    const config = parseConfig({ ...SECRETS, SESSION_SECRET: `${LONG_SECRET}new, ${LONG_SECRET}old` });
    expect(config.SESSION_SECRET).toEqual([`${LONG_SECRET}new`, `${LONG_SECRET}old`]);
  });

  it.each([
    ['a missing SESSION_SECRET in production', { NODE_ENV: 'production' }, 'SESSION_SECRET'],
    [
      'a short SESSION_SECRET in production',
      { NODE_ENV: 'production', SESSION_SECRET: 'short' },
      'at least 32 characters',
    ],
    [
      'one short secret among several',
      { NODE_ENV: 'production', SESSION_SECRET: `${LONG_SECRET},short` },
      'SESSION_SECRET',
    ],
    ['a non-numeric PORT', { PORT: 'eighty' }, 'PORT'],
    ['a MONGODB_URI that is not a MongoDB connection string', { MONGODB_URI: 'http://example.com' }, 'MONGODB_URI'],
    ['an unknown NODE_ENV', { NODE_ENV: 'staging' }, 'NODE_ENV'],
    ['a bcrypt cost under 12 in production', { ...PRODUCTION, ...SECRETS, BCRYPT_COST: '8' }, 'BCRYPT_COST'],
  ])('refuses %s, naming the variable', (_, env, expected) => {
    expect(() => parseConfig(env)).toThrow(ConfigError);
    expect(() => parseConfig(env)).toThrow(expected);
  });

  it.each([
    ['SMTP_URL', 'password reset mails must be sent'],
    ['APP_URL', 'https://'],
  ])('requires %s in production', (variable, expected) => {
    const env: Record<string, string> = { ...PRODUCTION, ...SECRETS };
    delete env[variable];
    expect(() => parseConfig(env)).toThrow(variable);
    expect(() => parseConfig(env)).toThrow(expected);
  });

  it('builds mail links from APP_URL, never from the request', () => {
    const config = parseConfig({ ...SECRETS, PORT: '4000' });
    expect(config.APP_URL).toBe('http://localhost:4000');
    const production = parseConfig({ ...PRODUCTION, ...SECRETS, APP_URL: 'https://shop.example/' });
    expect(production.APP_URL).toBe('https://shop.example');
  });

  it('times a login out after 30 idle minutes and 8 hours in all, out of the box', () => {
    const config = parseConfig({ ...SECRETS });
    expect(config.SESSION_MAX_AGE).toBe(30 * 60);
    expect(config.SESSION_ABSOLUTE_TTL).toBe(8 * 60 * 60);
    expect(config.GUEST_SESSION_MAX_AGE).toBeLessThanOrEqual(config.SESSION_MAX_AGE);
    expect(config.SESSION_MAX_AGE).toBeLessThan(config.SESSION_ABSOLUTE_TTL);
  });

  it('refuses an idle timeout longer than the absolute lifetime', () => {
    const env = { ...SECRETS, SESSION_MAX_AGE: '86400', SESSION_ABSOLUTE_TTL: '28800' };
    expect(() => parseConfig(env)).toThrow(
      'SESSION_MAX_AGE: the idle timeout must not be longer than SESSION_ABSOLUTE_TTL',
    );
  });

  it('refuses TRUST_PROXY=true in production, and takes a hop count or subnets', () => {
    const production = { ...PRODUCTION, ...SECRETS };
    expect(() => parseConfig({ ...production, TRUST_PROXY: 'true' })).toThrow(
      /TRUST_PROXY: must not be "true" in production/,
    );
    expect(parseConfig({ ...production, TRUST_PROXY: '1' }).TRUST_PROXY).toBe(1);
    expect(parseConfig({ ...production, TRUST_PROXY: 'loopback, 10.0.0.0/8' }).TRUST_PROXY).toEqual([
      'loopback',
      '10.0.0.0/8',
    ]);
  });

  it('accepts .env.example as it is (empty values mean unset; development generates the secrets)', () => {
    const example = dotenv.parse(fs.readFileSync(path.join(__dirname, '..', '.env.example')));
    const config = configWithSecrets(example, (name) => `generated ${name} of enough length`);
    expect(config.PORT).toBe(3000);
    expect(config.MONGODB_URI).toBeUndefined();
    expect(config.SMTP_URL).toBeUndefined();
    expect(config.SESSION_ID_HASH_SECRET).toBe('generated SESSION_ID_HASH_SECRET of enough length');
    expect(config.MAX_SESSIONS_PER_USER).toBe(10);
  });

  it('in development, generates each missing secret once, keeps it in the data folder and warns', () => {
    const dataDir = tempDir();
    const warnings: string[] = [];
    const secrets = dataDirSecrets(dataDir, (message) => warnings.push(message));
    const first = configWithSecrets({}, secrets);
    const second = configWithSecrets({}, secrets);

    expect(first.SESSION_SECRET[0]).toHaveLength(64);
    expect(first.SESSION_ID_HASH_SECRET).toHaveLength(64);
    expect(first.SESSION_ID_HASH_SECRET).not.toBe(first.SESSION_SECRET[0]);
    expect(second.SESSION_SECRET).toEqual(first.SESSION_SECRET);
    expect(second.SESSION_ID_HASH_SECRET).toBe(first.SESSION_ID_HASH_SECRET);
    expect(fs.readFileSync(path.join(dataDir, 'session-secret'), 'utf8')).toBe(first.SESSION_SECRET[0]);
    expect(fs.readFileSync(path.join(dataDir, 'session-id-hash-secret'), 'utf8')).toBe(first.SESSION_ID_HASH_SECRET);
    expect(first.DATA_ENCRYPTION_KEY[0]).toHaveLength(64);
    expect(second.DATA_ENCRYPTION_KEY).toEqual(first.DATA_ENCRYPTION_KEY);
    expect(fs.readFileSync(path.join(dataDir, 'data-encryption-key'), 'utf8')).toBe(first.DATA_ENCRYPTION_KEY[0]);
    // Test Pay's webhook secret too: every process of one machine (cluster workers) signs alike.
    expect(fs.readFileSync(path.join(dataDir, 'test-pay-webhook-secret'), 'utf8')).toBe(first.TEST_PAY_WEBHOOK_SECRET);
    expect(second.TEST_PAY_WEBHOOK_SECRET).toBe(first.TEST_PAY_WEBHOOK_SECRET);
    expect(warnings).toHaveLength(4);
    expect(warnings.join('\n')).toContain('SESSION_SECRET is not set');
    expect(warnings.join('\n')).toContain('SESSION_ID_HASH_SECRET is not set');
  });

  it('parses without touching the disk: a missing secret is an error, not a new file', () => {
    const writes = [
      jest.spyOn(fs, 'writeFileSync'),
      jest.spyOn(fs, 'mkdirSync'),
      jest.spyOn(fs, 'openSync'),
      jest.spyOn(fs, 'readFileSync'),
    ];
    try {
      expect(() => parseConfig({})).toThrow(/SESSION_SECRET: not set/);
      expect(() => parseConfig({ SESSION_SECRET: LONG_SECRET })).toThrow(/SESSION_ID_HASH_SECRET: not set/);
      expect(parseConfig(SECRETS).SESSION_ID_HASH_SECRET).toBe(ID_SECRET);
      for (const spy of writes) expect(spy).not.toHaveBeenCalled();
    } finally {
      for (const spy of writes) spy.mockRestore();
    }
  });

  it('asks for generated secrets only outside production', () => {
    const asked: GeneratedSecret[] = [];
    const provider = (name: GeneratedSecret) => (asked.push(name), `generated ${name}`);
    expect(() => configWithSecrets({ ...PRODUCTION, SESSION_SECRET: LONG_SECRET }, provider)).toThrow(
      /SESSION_ID_HASH_SECRET: required in production/,
    );
    expect(asked).toEqual([]);
    expect(
      configWithSecrets({ SESSION_SECRET: LONG_SECRET, DATA_ENCRYPTION_KEY: DATA_KEY }, provider)
        .SESSION_ID_HASH_SECRET,
    ).toBe('generated SESSION_ID_HASH_SECRET');
    expect(asked).toEqual(['SESSION_ID_HASH_SECRET', 'TEST_PAY_WEBHOOK_SECRET']);
  });

  it('takes Test Pay outside production only, and Stripe only with both of its secrets', () => {
    expect(() => parseConfig({ ...PRODUCTION, ...SECRETS, PAYMENT_PROVIDER: 'test-pay' })).toThrow(
      /PAYMENT_PROVIDER: Fernhill Test Pay takes no money/,
    );
    expect(() => parseConfig({ ...SECRETS, PAYMENT_PROVIDER: 'stripe', STRIPE_SECRET_KEY: 'sk_test_x' })).toThrow(
      /STRIPE_WEBHOOK_SECRET: required with PAYMENT_PROVIDER=stripe/,
    );
    expect(() => parseConfig({ ...SECRETS, TEST_PAY_CHAOS: 'duplicate' })).toThrow(
      /TEST_PAY_CHAOS: only for the tests/,
    );
    const test = parseConfig({ ...SECRETS, NODE_ENV: 'test', TEST_PAY_CHAOS: 'late, duplicate' });
    expect([test.PAYMENT_PROVIDER, test.TEST_PAY_CHAOS, test.STOCK_HOLD_MINUTES]).toEqual([
      'test-pay',
      ['late', 'duplicate'],
      15,
    ]);
  });

  it('refuses a DATA_ENCRYPTION_KEY shorter than 32 characters outside production too (it encrypts the sessions)', () => {
    expect(() => parseConfig({ NODE_ENV: 'development', ...SECRETS, DATA_ENCRYPTION_KEY: 'short' })).toThrow(
      /DATA_ENCRYPTION_KEY: each key must have at least 32 characters/,
    );
    expect(parseConfig({ NODE_ENV: 'development', ...SECRETS }).DATA_ENCRYPTION_KEY).toEqual([DATA_KEY]);
  });

  it('requires a long DATA_ENCRYPTION_KEY in production, and takes several (the first encrypts)', () => {
    expect(() => parseConfig({ ...PRODUCTION, ...SECRETS, DATA_ENCRYPTION_KEY: '' })).toThrow(
      /DATA_ENCRYPTION_KEY: required in production/,
    );
    expect(() => parseConfig({ ...PRODUCTION, ...SECRETS, DATA_ENCRYPTION_KEY: `${DATA_KEY},short` })).toThrow(
      /DATA_ENCRYPTION_KEY: required in production/,
    );
    const keys = parseConfig({ ...PRODUCTION, ...SECRETS, DATA_ENCRYPTION_KEY: `${DATA_KEY}new, ${DATA_KEY}old` });
    expect(keys.DATA_ENCRYPTION_KEY).toEqual([`${DATA_KEY}new`, `${DATA_KEY}old`]);
  });

  it('keeps the id hash secret apart from the cookie secrets', () => {
    expect(() =>
      parseConfig({ SESSION_SECRET: `${LONG_SECRET},${ID_SECRET}`, SESSION_ID_HASH_SECRET: ID_SECRET }),
    ).toThrow('SESSION_ID_HASH_SECRET: must differ from every SESSION_SECRET');
    expect(() => parseConfig({ ...PRODUCTION, ...SECRETS, SESSION_ID_HASH_SECRET: 'short' })).toThrow(
      /SESSION_ID_HASH_SECRET: required in production: a secret of at least 32 characters/,
    );
  });

  it('caps the sessions of an account at 10 by default, at MAX_SESSIONS_PER_USER when set', () => {
    expect(parseConfig(SECRETS).MAX_SESSIONS_PER_USER).toBe(10);
    expect(parseConfig({ ...SECRETS, MAX_SESSIONS_PER_USER: '3' }).MAX_SESSIONS_PER_USER).toBe(3);
    expect(() => parseConfig({ ...SECRETS, MAX_SESSIONS_PER_USER: '0' })).toThrow('MAX_SESSIONS_PER_USER');
  });

  it('stops the server at start with a message naming the bad variable', () => {
    const result = spawnSync(process.execPath, ['-r', 'tsx/cjs', path.join(__dirname, '..', 'src', 'server.ts')], {
      env: { PATH: process.env.PATH, NODE_ENV: 'production', SESSION_SECRET: 'too-short' },
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('SESSION_SECRET');
    expect(result.stderr).toContain('at least 32 characters');
  });
});
