import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import dotenv from 'dotenv';
import { ConfigError, parseConfig } from '../src/config/env';

const tempDir = () => fs.mkdtempSync(path.join(os.tmpdir(), 'shop-config-'));
const LONG_SECRET = 'x'.repeat(32);
/** What production requires besides the secret. */
const PRODUCTION = {
  NODE_ENV: 'production',
  SMTP_URL: 'smtps://user:pass@smtp.example.com',
  APP_URL: 'https://shop.example',
};

describe('configuration', () => {
  it('has safe defaults: port 3000, bcrypt cost 12, a cookie that is not connect.sid', () => {
    const config = parseConfig({ SESSION_SECRET: LONG_SECRET }, { dataDir: tempDir() });
    expect(config.PORT).toBe(3000);
    expect(config.BCRYPT_COST).toBe(12);
    expect(config.sessionCookieName).toBe('shop.sid');
  });

  it('names the cookie with the __Host- prefix in production', () => {
    const config = parseConfig({ ...PRODUCTION, SESSION_SECRET: LONG_SECRET }, { dataDir: tempDir() });
    expect(config.sessionCookieName).toBe('__Host-shop.sid');
  });

  it('takes a crash point (FAULT_CRASH_AT) only for the tests, never in development or production', () => {
    const env = { SESSION_SECRET: LONG_SECRET, FAULT_CRASH_AT: 'checkout:order-written' };
    expect(parseConfig({ ...env, NODE_ENV: 'test' }, { dataDir: tempDir() }).FAULT_CRASH_AT).toBe(
      'checkout:order-written',
    );
    expect(() => parseConfig(env, { dataDir: tempDir() })).toThrow(/FAULT_CRASH_AT: only for the tests/);
    expect(() => parseConfig({ ...PRODUCTION, ...env }, { dataDir: tempDir() })).toThrow(/FAULT_CRASH_AT/);
  });

  it('reads a comma-separated SESSION_SECRET as a rotation list, first one signing', () => {
    const config = parseConfig({ SESSION_SECRET: `${LONG_SECRET}new, ${LONG_SECRET}old` }, { dataDir: tempDir() });
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
    [
      'a bcrypt cost under 12 in production',
      { ...PRODUCTION, SESSION_SECRET: LONG_SECRET, BCRYPT_COST: '8' },
      'BCRYPT_COST',
    ],
  ])('refuses %s, naming the variable', (_, env, expected) => {
    expect(() => parseConfig(env, { dataDir: tempDir() })).toThrow(ConfigError);
    expect(() => parseConfig(env, { dataDir: tempDir() })).toThrow(expected);
  });

  it.each([
    ['SMTP_URL', 'password reset mails must be sent'],
    ['APP_URL', 'https://'],
  ])('requires %s in production', (variable, expected) => {
    const env: Record<string, string> = { ...PRODUCTION, SESSION_SECRET: LONG_SECRET };
    delete env[variable];
    expect(() => parseConfig(env, { dataDir: tempDir() })).toThrow(variable);
    expect(() => parseConfig(env, { dataDir: tempDir() })).toThrow(expected);
  });

  it('builds mail links from APP_URL, never from the request', () => {
    const config = parseConfig({ SESSION_SECRET: LONG_SECRET, PORT: '4000' }, { dataDir: tempDir() });
    expect(config.APP_URL).toBe('http://localhost:4000');
    const production = parseConfig(
      { ...PRODUCTION, SESSION_SECRET: LONG_SECRET, APP_URL: 'https://shop.example/' },
      { dataDir: tempDir() },
    );
    expect(production.APP_URL).toBe('https://shop.example');
  });

  it('times a login out after 30 idle minutes and 8 hours in all, out of the box', () => {
    const config = parseConfig({ SESSION_SECRET: LONG_SECRET }, { dataDir: tempDir() });
    expect(config.SESSION_MAX_AGE).toBe(30 * 60);
    expect(config.SESSION_ABSOLUTE_TTL).toBe(8 * 60 * 60);
    expect(config.GUEST_SESSION_MAX_AGE).toBeLessThanOrEqual(config.SESSION_MAX_AGE);
    expect(config.SESSION_MAX_AGE).toBeLessThan(config.SESSION_ABSOLUTE_TTL);
  });

  it('refuses an idle timeout longer than the absolute lifetime', () => {
    const env = { SESSION_SECRET: LONG_SECRET, SESSION_MAX_AGE: '86400', SESSION_ABSOLUTE_TTL: '28800' };
    expect(() => parseConfig(env, { dataDir: tempDir() })).toThrow(
      'SESSION_MAX_AGE: the idle timeout must not be longer than SESSION_ABSOLUTE_TTL',
    );
  });

  it('refuses TRUST_PROXY=true in production, and takes a hop count or subnets', () => {
    const production = { ...PRODUCTION, SESSION_SECRET: LONG_SECRET };
    expect(() => parseConfig({ ...production, TRUST_PROXY: 'true' }, { dataDir: tempDir() })).toThrow(
      /TRUST_PROXY: must not be "true" in production/,
    );
    expect(parseConfig({ ...production, TRUST_PROXY: '1' }, { dataDir: tempDir() }).TRUST_PROXY).toBe(1);
    expect(
      parseConfig({ ...production, TRUST_PROXY: 'loopback, 10.0.0.0/8' }, { dataDir: tempDir() }).TRUST_PROXY,
    ).toEqual(['loopback', '10.0.0.0/8']);
  });

  it('accepts .env.example as it is (empty values mean unset)', () => {
    const example = dotenv.parse(fs.readFileSync(path.join(__dirname, '..', '.env.example')));
    const config = parseConfig(example, { dataDir: tempDir(), warn: () => {} });
    expect(config.PORT).toBe(3000);
    expect(config.MONGODB_URI).toBeUndefined();
    expect(config.SMTP_URL).toBeUndefined();
  });

  it('in development, generates a secret once, keeps it in the data folder and warns', () => {
    const dataDir = tempDir();
    const warnings: string[] = [];
    const first = parseConfig({}, { dataDir, warn: (message) => warnings.push(message) });
    const second = parseConfig({}, { dataDir, warn: (message) => warnings.push(message) });

    expect(first.SESSION_SECRET[0]).toHaveLength(64);
    expect(second.SESSION_SECRET).toEqual(first.SESSION_SECRET);
    expect(fs.readFileSync(path.join(dataDir, 'session-secret'), 'utf8')).toBe(first.SESSION_SECRET[0]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('SESSION_SECRET is not set');
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
