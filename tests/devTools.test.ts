import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { parseConfig } from '../src/config/env';
import { buildApp, useTestApp, type TestApp } from './helpers/testApp';

/** /dev/mail shows every account's mail: only to the developer's own browser, on their machine. */
const testApp = useTestApp();
let dev: TestApp;
let outbox: string;
beforeAll(async () => {
  outbox = await fs.mkdtemp(path.join(os.tmpdir(), 'shop-dev-tools-'));
  dev = await buildApp(testApp().uri, { NODE_ENV: 'development', MAIL_OUTBOX_DIR: outbox });
});
afterAll(async () => {
  await dev.close();
  await fs.rm(outbox, { recursive: true, force: true });
});

it('answers only requests addressed to this machine by name, never a rebound name of another site', async () => {
  for (const host of ['localhost:3000', '127.0.0.1:3000', '[::1]:3000', 'LOCALHOST']) {
    expect((await request(dev.app).get('/dev/mail').set('Host', host)).status).toBe(200);
  }
  for (const host of ['attacker.example', 'attacker.example:3000', 'localhost.attacker.example', '']) {
    const refused = await request(dev.app).get('/dev/mail').set('Host', host);
    expect(refused.status).toBe(403);
    expect((await request(dev.app).get('/dev/mail/any-name').set('Host', host)).status).toBe(403);
  }
});

it('is mounted only where NODE_ENV=development is explicit, or unset on the embedded database', () => {
  const base = {
    SESSION_SECRET: 'x'.repeat(40),
    SESSION_ID_HASH_SECRET: 'y'.repeat(40),
    DATA_ENCRYPTION_KEY: 'z'.repeat(40),
  };
  const remote = { MONGODB_URI: 'mongodb://db.internal:27017/shop' };
  expect(parseConfig({ ...base, NODE_ENV: 'development', ...remote }).devTools).toBe(true);
  expect(parseConfig({ ...base }).devTools).toBe(true);
  // Unset with a database of its own: a deployment that forgot NODE_ENV.
  const forgotten = parseConfig({ ...base, ...remote });
  expect([forgotten.devTools, forgotten.nodeEnvUnset]).toEqual([false, true]);
  expect(parseConfig({ ...base, NODE_ENV: 'test' }).devTools).toBe(false);
});
