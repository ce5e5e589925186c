import express from 'express';
import mongoose from 'mongoose';
import request from 'supertest';
import {
  createTestPay,
  FERNHILL_SIGNATURE_HEADER,
  signWebhook,
  TestPayError,
  verifyWebhook,
  type TestPayChaos,
  type TestPayOptions,
  type WebhookEvent,
} from '../src/testPay';
import { useTestDatabase } from './helpers/testApp';

useTestDatabase();

const SECRET = 'whsec_fernhill_test_pay_tests';
const START = new Date('2030-03-10T12:00:00Z');
const MINUTE = 60_000;
const GOOD_CARD = { cardNumber: '4242 4242 4242 4242', expiry: '12/31', cvc: '123' };
const SHOP = 'https://shop.example';

const collection = (name: 'testpay.payments' | 'testpay.deliveries') => mongoose.connection.db!.collection(name);

beforeEach(async () => {
  await collection('testpay.payments').deleteMany({});
  await collection('testpay.deliveries').deleteMany({});
});

interface Received {
  body: string;
  event: WebhookEvent;
  headers: Record<string, string>;
  /** The clock when it was sent. */
  at: Date;
}

/** The shop's answer to the next webhooks: a status, or no answer at all (a network error). */
type Answer = number | 'unreachable';

/** Test Pay mounted in a tiny app, with a clock the test moves and a shop that records every webhook. */
function testPayWith(options: Partial<TestPayOptions> & { chaos?: ReadonlySet<TestPayChaos> } = {}) {
  let now = new Date(START);
  let answer: Answer = 200;
  const received: Received[] = [];
  const warnings: string[] = [];
  let onSend = () => {};
  const testPay = createTestPay({
    db: () => mongoose.connection.db!,
    webhookSecret: SECRET,
    webhookUrl: `${SHOP}/webhooks/payments`,
    publicUrl: `${SHOP}/test-pay`,
    send: async (url, body, headers) => {
      expect(url).toBe(`${SHOP}/webhooks/payments`);
      received.push({ body, event: JSON.parse(body) as WebhookEvent, headers, at: now });
      onSend();
      if (answer === 'unreachable') throw new Error('connect ECONNREFUSED 127.0.0.1:3000');
      return answer;
    },
    now: () => now,
    retry: { firstDelayMs: 1000, maxDelayMs: 4000, maxAttempts: 20 },
    log: { warn: (_details, message) => warnings.push(message) },
    ...options,
  });
  const app = express();
  app.use('/test-pay', testPay.router);
  return {
    testPay,
    app,
    received,
    warnings,
    now: () => now,
    advance(ms: number) {
      now = new Date(now.getTime() + ms);
    },
    answerWith(next: Answer) {
      answer = next;
    },
    /** Resolves once `count` webhooks were sent in all. */
    sent(count: number) {
      return new Promise<void>((resolve) => {
        onSend = () => received.length >= count && resolve();
        onSend();
      });
    },
  };
}
type Harness = ReturnType<typeof testPayWith>;

let keys = 0;
function newPayment(harness: Harness, input: Partial<Parameters<Harness['testPay']['createPayment']>[0]> = {}) {
  return harness.testPay.createPayment({
    amountCents: 1234,
    currency: 'usd',
    description: 'Order FG-00042',
    reference: 'order-42',
    customerEmail: 'ann@example.com',
    returnUrl: `${SHOP}/orders/42/paid`,
    cancelUrl: `${SHOP}/checkout`,
    expiresAt: new Date(START.getTime() + 30 * MINUTE),
    idempotencyKey: `create-${++keys}`,
    ...input,
  });
}

const pagePath = (url: string) => new URL(url).pathname;
const tokenIn = (html: string) => /name="token" value="([^"]+)"/.exec(html)?.[1];

/** The token in the form of the payment page at `url`. */
async function openForm(harness: Harness, url: string) {
  return tokenIn((await request(harness.app).get(pagePath(url)).expect(200)).text);
}

const submit = (harness: Harness, url: string, token: string | undefined, card: Record<string, string> = GOOD_CARD) =>
  request(harness.app)
    .post(pagePath(url))
    .type('form')
    .send({ ...card, ...(token && { token }) });

/** Opens the payment page and submits its form with `card`. */
async function payWith(harness: Harness, url: string, card: Record<string, string> = GOOD_CARD) {
  return submit(harness, url, await openForm(harness, url), card);
}

const signatureOf = (sent: Received) => sent.headers[FERNHILL_SIGNATURE_HEADER];
const isSignedBySecret = (sent: Received, now: Date) => verifyWebhook(SECRET, sent.body, signatureOf(sent), now, 300);

describe('the hosted payment page', () => {
  it('shows the amount and description, and a labelled card form that posts back to it with a token', async () => {
    const harness = testPayWith();
    const { url } = await newPayment(harness);

    const page = await request(harness.app).get(pagePath(url)).expect(200);

    expect(page.text).toContain('Fernhill Test Pay');
    expect(page.text).toContain('Order FG-00042');
    expect(page.text).toContain('$12.34');
    expect(page.text).toContain(`<form method="post" action="${pagePath(url)}"`);
    for (const field of ['cardNumber', 'expiry', 'cvc']) {
      expect(page.text).toContain(`<label for="${field}">`);
      expect(page.text).toContain(`<input id="${field}" name="${field}"`);
    }
    expect(tokenIn(page.text)).toMatch(/^[\w-]{32}$/);
    expect(page.text).toContain(`<a href="${SHOP}/checkout">Back to the shop</a>`);
    // The shop's Content-Security-Policy allows no inline style or script.
    expect(page.text).not.toMatch(/<script|<style|style=/);
    expect(page.headers['cache-control']).toBe('no-store');
  });

  it('escapes what it shows', async () => {
    const harness = testPayWith();
    const { url } = await newPayment(harness, { description: '<script>alert("hi")</script> & more' });

    const page = await request(harness.app).get(pagePath(url)).expect(200);

    expect(page.text).toContain('&lt;script&gt;alert(&quot;hi&quot;)&lt;/script&gt; &amp; more');
    expect(page.text).not.toContain('<script>');
  });

  it('answers 404 for a payment it does not know', async () => {
    const harness = testPayWith();
    await request(harness.app).get('/test-pay/pay_AAAAAAAAAAAAAAAAAAAAAAAA').expect(404);
    await request(harness.app).get('/test-pay/not-a-payment').expect(404);
    await request(harness.app).post('/test-pay/pay_AAAAAAAAAAAAAAAAAAAAAAAA').type('form').send(GOOD_CARD).expect(404);
  });

  it.each([
    { card: '4242 4242 4242 4242', type: 'payment.succeeded', state: 'succeeded', reason: undefined },
    { card: '4000-0000-0000-0002', type: 'payment.failed', state: 'failed', reason: 'Your card was declined.' },
    { card: '4000000000009995', type: 'payment.failed', state: 'failed', reason: 'Your card has insufficient funds.' },
  ])('with card $card: $state, one signed $type webhook, back to the shop', async ({ card, type, state, reason }) => {
    const harness = testPayWith();
    const { id, url } = await newPayment(harness);

    const paid = await payWith(harness, url, { ...GOOD_CARD, cardNumber: card });

    expect(paid.status).toBe(303);
    expect(paid.headers.location).toBe(`${SHOP}/orders/42/paid`);
    expect(harness.received).toHaveLength(1);
    const [sent] = harness.received;
    expect(sent!.event).toEqual({
      id: expect.stringMatching(/^evt_/),
      type,
      created: START.getTime() / 1000,
      data: { paymentId: id, reference: 'order-42', amountCents: 1234, currency: 'usd', failureReason: reason },
    });
    expect(sent!.headers['Content-Type']).toBe('application/json');
    expect(isSignedBySecret(sent!, harness.now())).toBe(true);
    expect(await harness.testPay.payment(id)).toMatchObject({ state, failureReason: reason ?? null, decidedAt: START });
    expect(await collection('testpay.deliveries').findOne({ _id: sent!.event.id as never })).toMatchObject({
      deliveredAt: START,
      attempts: 0,
    });

    const after = await request(harness.app).get(pagePath(url)).expect(200);
    expect(after.text).not.toContain('<form');
    expect(after.text).toContain(`<a href="${SHOP}/orders/42/paid">`);
    expect(after.text).toContain(reason ?? 'Your payment was received.');
  });

  it('takes a card that expires at the end of this month', async () => {
    const harness = testPayWith();
    const { url } = await newPayment(harness);
    expect((await payWith(harness, url, { ...GOOD_CARD, expiry: '03/30' })).status).toBe(303);
  });

  it.each([
    { typed: { cardNumber: '4111 1111 1111 1111' }, message: 'This card number is not valid.' },
    { typed: { cardNumber: '' }, message: 'This card number is not valid.' },
    { typed: { expiry: '1231' }, message: 'Enter the expiry date as MM/YY' },
    { typed: { expiry: '13/31' }, message: 'The expiry month must be from 01 to 12.' },
    { typed: { expiry: '02/30' }, message: 'This card has expired.' },
    { typed: { cvc: '12' }, message: 'The security code (CVC) must be 3 or 4 digits.' },
    { typed: { cvc: '12a4' }, message: 'The security code (CVC) must be 3 or 4 digits.' },
  ])('refuses $typed with 422, keeping what was typed but the CVC', async ({ typed, message }) => {
    const harness = testPayWith();
    const { id, url } = await newPayment(harness);
    const card = { ...GOOD_CARD, ...typed };

    const refused = await payWith(harness, url, card);

    expect(refused.status).toBe(422);
    expect(refused.text).toContain(message);
    expect(refused.text).toContain(
      `name="cardNumber" type="text" inputmode="numeric" autocomplete="cc-number" required value="${card.cardNumber}"`,
    );
    expect(refused.text).toContain(
      `name="expiry" type="text" inputmode="text" autocomplete="cc-exp" required value="${card.expiry}"`,
    );
    expect(refused.text).toContain(
      'name="cvc" type="text" inputmode="numeric" autocomplete="cc-csc" required value=""',
    );
    expect(refused.text).toContain('aria-invalid="true"');
    expect(tokenIn(refused.text)).toBeDefined();
    expect((await harness.testPay.payment(id))?.state).toBe('pending');
    expect(harness.received).toHaveLength(0);
  });

  it('refuses a POST without the token of its own page with 403', async () => {
    const harness = testPayWith();
    const { id, url } = await newPayment(harness);
    const other = await newPayment(harness);

    await submit(harness, url, undefined).expect(403);
    await submit(harness, url, await openForm(harness, other.url)).expect(403);

    expect((await harness.testPay.payment(id))?.state).toBe('pending');
    expect(harness.received).toHaveLength(0);
  });

  it('cannot be paid once the payment expired: 410 with the way back', async () => {
    const harness = testPayWith();
    const { id, url } = await newPayment(harness);
    const token = await openForm(harness, url);
    harness.advance(30 * MINUTE);

    const shown = await request(harness.app).get(pagePath(url)).expect(410);
    const posted = await submit(harness, url, token).expect(410);

    for (const page of [shown, posted]) {
      expect(page.text).toContain('This payment has expired');
      expect(page.text).toContain(`<a href="${SHOP}/checkout">Back to the shop</a>`);
    }
    expect((await harness.testPay.payment(id))?.state).toBe('pending');
    expect(harness.received).toHaveLength(0);
  });

  it('decides a payment once when its form is sent twice at the same moment: one outcome, one webhook', async () => {
    const harness = testPayWith();
    const { id, url } = await newPayment(harness);
    const token = await openForm(harness, url);
    const payWithCard = (cardNumber: string) => submit(harness, url, token, { ...GOOD_CARD, cardNumber });

    const answers = await Promise.all([payWithCard('4242424242424242'), payWithCard('4000000000000002')]);

    expect(answers.map(({ status, headers }) => [status, headers.location])).toEqual([
      [303, `${SHOP}/orders/42/paid`],
      [303, `${SHOP}/orders/42/paid`],
    ]);
    const { state } = (await harness.testPay.payment(id))!;
    expect(harness.received.map(({ event }) => event.type)).toEqual([
      state === 'succeeded' ? 'payment.succeeded' : 'payment.failed',
    ]);
    expect(await collection('testpay.deliveries').countDocuments()).toBe(1);
  });

  it('keeps the outcome when the form is sent again, and sends no second webhook', async () => {
    const harness = testPayWith();
    const { id, url } = await newPayment(harness);
    const token = await openForm(harness, url);
    await submit(harness, url, token, { ...GOOD_CARD, cardNumber: '4000000000000002' }).expect(303);

    await submit(harness, url, token, GOOD_CARD).expect(303);

    expect((await harness.testPay.payment(id))?.state).toBe('failed');
    expect(harness.received).toHaveLength(1);
  });

  it('stores the same event again when the process died before storing it, and the form is sent again', async () => {
    const harness = testPayWith();
    const { url } = await newPayment(harness);
    const token = await openForm(harness, url);
    await submit(harness, url, token).expect(303);
    const [first] = harness.received;
    // As if the process had died between deciding the payment and storing its event.
    await collection('testpay.deliveries').deleteMany({});
    harness.advance(MINUTE);

    // The browser sends the POST again.
    await submit(harness, url, token).expect(303);

    expect(harness.received.map(({ body }) => body)).toEqual([first!.body, first!.body]);
    expect(await collection('testpay.deliveries').countDocuments()).toBe(1);
  });

  it('reads its own form even where the app has parsed it already', async () => {
    const harness = testPayWith();
    const app = express();
    app.use(express.urlencoded({ extended: false }));
    app.use('/test-pay', harness.testPay.router);
    const { url } = await newPayment(harness);
    const token = tokenIn((await request(app).get(pagePath(url)).expect(200)).text);

    await request(app)
      .post(pagePath(url))
      .type('form')
      .send({ ...GOOD_CARD, token })
      .expect(303);
  });
});

describe('createPayment', () => {
  it('makes one payment per idempotency key, and refuses the key for another payment', async () => {
    const harness = testPayWith();
    const first = await newPayment(harness, { idempotencyKey: 'order-42-attempt-1' });

    expect(first.id).toMatch(/^pay_[\w-]+$/);
    expect(first.url).toBe(`${SHOP}/test-pay/${first.id}`);
    expect(await newPayment(harness, { idempotencyKey: 'order-42-attempt-1' })).toEqual(first);
    await expect(newPayment(harness, { idempotencyKey: 'order-42-attempt-1', amountCents: 999 })).rejects.toThrow(
      TestPayError,
    );
    await expect(newPayment(harness, { idempotencyKey: 'order-42-attempt-1', reference: 'order-43' })).rejects.toThrow(
      TestPayError,
    );
  });

  it('makes one payment when the same key is sent twice at the same moment', async () => {
    const harness = testPayWith();

    const [one, two] = await Promise.all([
      newPayment(harness, { idempotencyKey: 'sent-twice' }),
      newPayment(harness, { idempotencyKey: 'sent-twice' }),
    ]);

    expect(one).toEqual(two);
    expect(await collection('testpay.payments').countDocuments({ idempotencyKey: 'sent-twice' })).toBe(1);
  });

  it.each([
    { amountCents: 0 },
    { amountCents: 12.5 },
    { currency: 'US Dollar' },
    { returnUrl: 'javascript:alert(1)' },
    { cancelUrl: 'not a url' },
  ])('refuses %p', async (input) => {
    await expect(newPayment(testPayWith(), input)).rejects.toThrow(TestPayError);
  });
});

describe('refund', () => {
  async function paidPayment(harness: Harness) {
    const { id, url } = await newPayment(harness);
    expect((await payWith(harness, url)).status).toBe(303);
    harness.received.length = 0;
    return id;
  }

  it('refunds once per idempotency key, with one refund.succeeded webhook', async () => {
    const harness = testPayWith();
    const paymentId = await paidPayment(harness);

    const first = await harness.testPay.refund({ paymentId, amountCents: 500, idempotencyKey: 'refund-1' });
    const again = await harness.testPay.refund({ paymentId, amountCents: 500, idempotencyKey: 'refund-1' });

    expect(first.refundId).toMatch(/^re_[\w-]+$/);
    expect(again).toEqual(first);
    expect(harness.received.map(({ event }) => event)).toEqual([
      {
        id: expect.stringMatching(/^evt_/),
        type: 'refund.succeeded',
        created: START.getTime() / 1000,
        data: {
          paymentId,
          reference: 'order-42',
          amountCents: 1234,
          currency: 'usd',
          refundId: first.refundId,
          refundedCents: 500,
        },
      },
    ]);
    expect(isSignedBySecret(harness.received[0]!, harness.now())).toBe(true);
    expect(await harness.testPay.payment(paymentId)).toMatchObject({
      refundedCents: 500,
      refunds: [{ id: first.refundId, amountCents: 500 }],
    });
    await expect(harness.testPay.refund({ paymentId, amountCents: 400, idempotencyKey: 'refund-1' })).rejects.toThrow(
      TestPayError,
    );
  });

  it('sends the same refund event again when a refund is asked again after the process died before storing it', async () => {
    const harness = testPayWith();
    const paymentId = await paidPayment(harness);
    const first = await harness.testPay.refund({ paymentId, amountCents: 500, idempotencyKey: 'refund-1' });
    await collection('testpay.deliveries').deleteMany({});

    const again = await harness.testPay.refund({ paymentId, amountCents: 500, idempotencyKey: 'refund-1' });

    expect(again).toEqual(first);
    expect(harness.received).toHaveLength(2);
    expect(harness.received[1]!.body).toBe(harness.received[0]!.body);
    expect((await harness.testPay.payment(paymentId))?.refundedCents).toBe(500);
  });

  it('refunds no more than was paid, even when asked twice at once', async () => {
    const harness = testPayWith();
    const paymentId = await paidPayment(harness);
    const refund = (amountCents: number, idempotencyKey: string) =>
      harness.testPay.refund({ paymentId, amountCents, idempotencyKey });

    const together = await Promise.allSettled([refund(1000, 'a'), refund(1000, 'b')]);
    await expect(refund(300, 'c')).rejects.toThrow(TestPayError);
    await refund(234, 'd');
    await expect(refund(1, 'e')).rejects.toThrow(TestPayError);

    expect(together.map(({ status }) => status).sort()).toEqual(['fulfilled', 'rejected']);
    expect(together.find((outcome) => outcome.status === 'rejected')).toMatchObject({
      reason: expect.any(TestPayError),
    });
    expect((await harness.testPay.payment(paymentId))?.refundedCents).toBe(1234);
    expect(harness.received).toHaveLength(2);
  });

  it('refuses to refund a payment that was not paid, or that it does not know', async () => {
    const harness = testPayWith();
    const pending = await newPayment(harness);
    const declined = await newPayment(harness);
    expect((await payWith(harness, declined.url, { ...GOOD_CARD, cardNumber: '4000000000000002' })).status).toBe(303);

    for (const paymentId of [pending.id, declined.id, 'pay_unknown']) {
      await expect(harness.testPay.refund({ paymentId, amountCents: 100, idempotencyKey: 'r' })).rejects.toThrow(
        TestPayError,
      );
    }
  });
});

describe('webhook signatures', () => {
  const body = JSON.stringify({ id: 'evt_1', type: 'payment.succeeded' });
  const now = START;
  const seconds = now.getTime() / 1000;
  const header = signWebhook(SECRET, body, seconds);

  it('are Stripe-style: t=<unix seconds>,v1=<hex HMAC-SHA-256>', () => {
    expect(header).toMatch(new RegExp(`^t=${seconds},v1=[0-9a-f]{64}$`));
  });

  it('verify the signed body, as a string or the raw bytes', () => {
    expect(verifyWebhook(SECRET, body, header, now, 300)).toBe(true);
    expect(verifyWebhook(SECRET, Buffer.from(body), header, now, 300)).toBe(true);
  });

  it('do not verify a changed body, or another secret', () => {
    expect(verifyWebhook(SECRET, body.replace('succeeded', 'failed'), header, now, 300)).toBe(false);
    expect(verifyWebhook('another-secret', body, header, now, 300)).toBe(false);
  });

  it.each([
    ['5 min 1 s old', 301],
    ['5 min 1 s ahead', -301],
  ])('do not verify a timestamp %s', (_, age) => {
    expect(verifyWebhook(SECRET, body, signWebhook(SECRET, body, seconds - age), now, 300)).toBe(false);
    expect(verifyWebhook(SECRET, body, signWebhook(SECRET, body, seconds - Math.sign(age) * 300), now, 300)).toBe(true);
  });

  it.each([
    undefined,
    '',
    'garbage',
    `t=${seconds}`,
    header.replace(/t=\d+,/, ''),
    header.replace(/t=\d+/, 't=soon'),
    header.slice(0, -2),
    `${header},t=${seconds}`,
  ])('do not verify the malformed header %p', (malformed) => {
    expect(verifyWebhook(SECRET, body, malformed, now, 300)).toBe(false);
  });
});

describe('webhook delivery', () => {
  it('sends a failed webhook again with exponential backoff until the shop answers 2xx, then never again', async () => {
    const harness = testPayWith();
    harness.answerWith(500);
    const { url } = await newPayment(harness);
    expect((await payWith(harness, url)).status).toBe(303);
    expect(harness.received).toHaveLength(1);

    // Retries 1 s, 2 s, 4 s after each failure, then 4 s (maxDelayMs), the last two unanswered (a network error).
    for (const [delayMs, answer] of [
      [1000, 500],
      [2000, 500],
      [4000, 'unreachable'],
      [4000, 'unreachable'],
    ] as const) {
      harness.answerWith(answer);
      harness.advance(delayMs - 1);
      expect(await harness.testPay.deliverDue()).toEqual({ delivered: 0, failed: 0 });
      harness.advance(1);
      expect(await harness.testPay.deliverDue()).toEqual({ delivered: 0, failed: 1 });
    }
    harness.answerWith(204);
    harness.advance(4000);
    expect(await harness.testPay.deliverDue()).toEqual({ delivered: 1, failed: 0 });
    harness.advance(24 * 60 * MINUTE);
    expect(await harness.testPay.deliverDue()).toEqual({ delivered: 0, failed: 0 });

    expect(harness.received).toHaveLength(6);
    expect(new Set(harness.received.map(({ body }) => body)).size).toBe(1);
    // Each send is signed at its own time.
    for (const sent of harness.received) expect(isSignedBySecret(sent, sent.at)).toBe(true);
    expect(await collection('testpay.deliveries').findOne({})).toMatchObject({
      attempts: 5,
      deliveredAt: harness.received.at(-1)!.at,
    });
  });

  it('gives up after maxAttempts sends, with a warning', async () => {
    const harness = testPayWith({ retry: { firstDelayMs: 1000, maxDelayMs: 1000, maxAttempts: 3 } });
    harness.answerWith(503);
    const { url } = await newPayment(harness);
    expect((await payWith(harness, url)).status).toBe(303);

    for (let retry = 0; retry < 2; retry++) {
      harness.advance(1000);
      expect(await harness.testPay.deliverDue()).toEqual({ delivered: 0, failed: 1 });
    }
    harness.answerWith(200);
    harness.advance(60 * MINUTE);
    expect(await harness.testPay.deliverDue()).toEqual({ delivered: 0, failed: 0 });

    expect(harness.received).toHaveLength(3);
    expect(harness.warnings).toEqual(['Test Pay gave up delivering a webhook: the shop never answered 2xx']);
    expect(await collection('testpay.deliveries').findOne({})).toMatchObject({
      attempts: 3,
      deliveredAt: null,
      abandonedAt: new Date(START.getTime() + 2000),
    });
  });

  it('delivers on its own timer once started, until stopped', async () => {
    const harness = testPayWith();
    harness.answerWith('unreachable');
    const { url } = await newPayment(harness);
    expect((await payWith(harness, url)).status).toBe(303);
    harness.answerWith(200);
    harness.advance(1000);
    // Only the interval timer is faked: the database driver keeps its real timers.
    jest.useFakeTimers({
      doNotFake: [
        'Date',
        'hrtime',
        'nextTick',
        'performance',
        'queueMicrotask',
        'setImmediate',
        'clearImmediate',
        'setTimeout',
        'clearTimeout',
      ],
    });
    try {
      const stop = harness.testPay.startDelivering(5000);
      jest.advanceTimersByTime(5000);
      await harness.sent(2);
      stop();
      expect(jest.getTimerCount()).toBe(0);
    } finally {
      jest.useRealTimers();
    }
    // The run goes on after the send: it records the delivery.
    while (!(await collection('testpay.deliveries').findOne({ deliveredAt: { $ne: null } }))) {
      await new Promise(setImmediate);
    }
    expect(harness.received.map(({ event }) => event.type)).toEqual(['payment.succeeded', 'payment.succeeded']);
  });
});

describe('chaos', () => {
  it('duplicate: sends every webhook twice, the same event both times', async () => {
    const harness = testPayWith({ chaos: new Set(['duplicate']) });
    const { url } = await newPayment(harness);

    expect((await payWith(harness, url)).status).toBe(303);

    expect(harness.received).toHaveLength(2);
    expect(harness.received[1]!.body).toBe(harness.received[0]!.body);
    expect(await harness.testPay.deliverDue()).toEqual({ delivered: 0, failed: 0 });
  });

  it('late: sends nothing at once, and the first attempt 30 s after the event', async () => {
    const harness = testPayWith({ chaos: new Set(['late']) });
    const { url } = await newPayment(harness);
    expect((await payWith(harness, url)).status).toBe(303);
    expect(harness.received).toHaveLength(0);

    harness.advance(30_000 - 1);
    expect(await harness.testPay.deliverDue()).toEqual({ delivered: 0, failed: 0 });
    harness.advance(1);
    expect(await harness.testPay.deliverDue()).toEqual({ delivered: 1, failed: 0 });
    expect(harness.received).toHaveLength(1);
  });

  it('out-of-order: sends nothing at once, then the newest event first', async () => {
    const harness = testPayWith({ chaos: new Set(['out-of-order']) });
    const { id, url } = await newPayment(harness);
    expect((await payWith(harness, url)).status).toBe(303);
    harness.advance(1000);
    await harness.testPay.refund({ paymentId: id, amountCents: 100, idempotencyKey: 'first' });
    harness.advance(1000);
    await harness.testPay.refund({ paymentId: id, amountCents: 200, idempotencyKey: 'second' });
    expect(harness.received).toHaveLength(0);

    expect(await harness.testPay.deliverDue()).toEqual({ delivered: 3, failed: 0 });

    expect(harness.received.map(({ event }) => [event.type, event.data.refundedCents])).toEqual([
      ['refund.succeeded', 200],
      ['refund.succeeded', 100],
      ['payment.succeeded', undefined],
    ]);
  });

  it('bad-signature: signs with another secret, so the shop cannot verify it', async () => {
    const harness = testPayWith({ chaos: new Set(['bad-signature']) });
    const { url } = await newPayment(harness);

    expect((await payWith(harness, url)).status).toBe(303);

    expect(harness.received).toHaveLength(1);
    expect(signatureOf(harness.received[0]!)).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    expect(isSignedBySecret(harness.received[0]!, harness.now())).toBe(false);
  });
});
