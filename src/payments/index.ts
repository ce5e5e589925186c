import type { Db } from 'mongodb';
import type { Config } from '../config/env';
import { createTestPay, type TestPay, type TestPayOptions } from '../testPay';
import type { PaymentProvider } from './provider';
import { stripeProvider } from './stripe';
import { testPayProvider } from './testPay';

export type { PaymentProvider } from './provider';

/** The provider the configuration chose, and Test Pay itself when that is it (the app mounts its pages). */
export interface Payments {
  provider: PaymentProvider;
  testPay?: TestPay;
}

export interface PaymentsOptions {
  /** The database Test Pay keeps its own collections in. */
  db: () => Db;
  log: NonNullable<TestPayOptions['log']>;
  /** How Test Pay's webhooks reach the shop (tests send them into the app in-process); HTTP by default. */
  send?: TestPayOptions['send'];
}

/** Test Pay's hosted pages, under the shop's address (as if another company's). */
export const TEST_PAY_PATH = '/test-pay';
/** Where providers deliver their webhooks: a contract with their configuration. */
export const WEBHOOK_PATH = '/webhooks/payments';

export function createPayments(config: Config, { db, log, send }: PaymentsOptions): Payments {
  if (config.PAYMENT_PROVIDER === 'stripe') {
    // The configuration refuses `stripe` without both (config/rules.ts).
    return {
      provider: stripeProvider({
        secretKey: config.STRIPE_SECRET_KEY ?? '',
        webhookSecret: config.STRIPE_WEBHOOK_SECRET ?? '',
      }),
    };
  }
  const testPay = createTestPay({
    db,
    log,
    send,
    webhookSecret: config.TEST_PAY_WEBHOOK_SECRET,
    webhookUrl: `${config.APP_URL}${WEBHOOK_PATH}`,
    publicUrl: `${config.APP_URL}${TEST_PAY_PATH}`,
    chaos: new Set(config.TEST_PAY_CHAOS),
  });
  return { provider: testPayProvider(testPay, config.TEST_PAY_WEBHOOK_SECRET), testPay };
}
