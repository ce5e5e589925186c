import { parseConfig } from '../src/config/env';
import { loggedInAgent } from './helpers/http';
import { buildApp, useTestApp } from './helpers/testApp';

/** Times on pages are the shop's local time, with its zone named (SHOP_TIME_ZONE). */
const testApp = useTestApp();

it('shows moments in SHOP_TIME_ZONE, named, never as bare UTC', async () => {
  const india = await buildApp(testApp().uri, { SHOP_TIME_ZONE: 'Asia/Kolkata' });
  try {
    const { agent } = await loggedInAgent(india.app);
    const account = (await agent.get('/account')).text;
    // "Signed in with the password 2026-12-06 19:52 GMT+5:30 …"
    expect(account).toMatch(/\d{4}-\d{2}-\d{2} \d{2}:\d{2} GMT\+5:30/);
    expect(account).not.toMatch(/\d{2}:\d{2} UTC/);
  } finally {
    await india.close();
  }
});

it('refuses a time zone the runtime does not know, naming the variable', () => {
  const secrets = {
    SESSION_SECRET: 'x'.repeat(40),
    SESSION_ID_HASH_SECRET: 'y'.repeat(40),
    DATA_ENCRYPTION_KEY: 'z'.repeat(40),
  };
  expect(() => parseConfig({ ...secrets, SHOP_TIME_ZONE: 'Mars/Olympus_Mons' })).toThrow(/SHOP_TIME_ZONE/);
  expect(parseConfig({ ...secrets, SHOP_TIME_ZONE: 'Europe/Berlin' }).SHOP_TIME_ZONE).toBe('Europe/Berlin');
});
