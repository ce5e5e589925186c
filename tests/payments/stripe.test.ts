import Stripe from 'stripe';
import { PaymentProviderError, WebhookRejectedError, type CreatePaymentInput } from '../../src/payments/provider';
import { stripeProvider } from '../../src/payments/stripe';

/**
 * The Stripe provider without Stripe: webhooks are signed here with the SDK's own test helper, and
 * its requests go to a recording HTTP client that answers as Stripe's API does (the answers follow
 * stripe-mock's fixtures). No network, no database, a fixed clock.
 */

const NOW = new Date('2026-03-02T10:00:00Z');
const NOW_SECONDS = NOW.getTime() / 1000;
const MINUTE_MS = 60_000;
const WEBHOOK_SECRET = 'whsec_test_fernhill';
const SESSION_ID = 'cs_test_a1YS1URlnyQCN5fUUduORoQ7Pw41PJqDWkIVQCpJPqkfIhd6tVY8XB1OLY';
const PAYMENT_INTENT_ID = 'pi_3PgafyB7WZ01zgkW0f4Zb9nT';
const REFUND_ID = 're_3PgagBB7WZ01zgkW1ZyJx0aN';
const ORDER_ID = '65f1c0ffee0000000000abcd';

interface RecordedRequest {
  method: string;
  path: string;
  headers: Record<string, string | number | string[]>;
  /** The form-encoded body, decoded. */
  form: URLSearchParams;
}

interface Answer {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

class RecordedResponse implements Stripe.HttpClientResponse {
  constructor(private readonly answer: Answer) {}
  getStatusCode() {
    return this.answer.status;
  }
  getHeaders() {
    return { 'request-id': 'req_fernhill0001', 'content-type': 'application/json', ...this.answer.headers };
  }
  getRawResponse() {
    return this.answer;
  }
  toStream(): never {
    throw new Error('the provider makes no streaming requests');
  }
  async toJSON() {
    return JSON.parse(JSON.stringify(this.answer.body)) as unknown;
  }
}

/** Stripe's httpClient, recording every request and answering with `answer(request)`. */
class RecordingHttpClient implements Stripe.HttpClient {
  readonly requests: RecordedRequest[] = [];
  constructor(private readonly answer: (request: RecordedRequest) => Answer) {}
  getClientName() {
    return 'recording';
  }
  async makeRequest(
    _host: string,
    _port: string,
    path: string,
    method: string,
    headers: Record<string, string | number | string[]>,
    requestData: string,
  ) {
    const request = { method, path, headers, form: new URLSearchParams(requestData) };
    this.requests.push(request);
    return new RecordedResponse(this.answer(request));
  }
}

function headerOf(request: RecordedRequest, name: string) {
  return Object.entries(request.headers).find(([key]) => key.toLowerCase() === name.toLowerCase())?.[1];
}

function checkoutSession(overrides: Record<string, unknown> = {}) {
  return {
    id: SESSION_ID,
    object: 'checkout.session',
    amount_total: 4250,
    cancel_url: 'https://shop.example/cart',
    client_reference_id: ORDER_ID,
    created: NOW_SECONDS,
    currency: 'usd',
    expires_at: NOW_SECONDS + 2 * 3600,
    livemode: false,
    metadata: { orderId: ORDER_ID },
    mode: 'payment',
    payment_intent: null,
    payment_status: 'unpaid',
    status: 'open',
    success_url: 'https://shop.example/orders/FG-00042',
    url: `https://checkout.stripe.com/c/pay/${SESSION_ID}#fidkdWxOYHwnPyd1blpxYHZxWjA0`,
    ...overrides,
  };
}

function refundObject(overrides: Record<string, unknown> = {}) {
  return {
    id: REFUND_ID,
    object: 'refund',
    amount: 1500,
    charge: 'ch_3PgafyB7WZ01zgkW0ixqJm2L',
    created: NOW_SECONDS,
    currency: 'usd',
    metadata: { paymentId: SESSION_ID, orderId: ORDER_ID },
    payment_intent: PAYMENT_INTENT_ID,
    reason: null,
    status: 'succeeded',
    ...overrides,
  };
}

function stripeError(status: number, error: Record<string, unknown>, headers: Record<string, string> = {}): Answer {
  return { status, body: { error }, headers };
}

function providerWith(answer: (request: RecordedRequest) => Answer, now: Date = NOW) {
  const httpClient = new RecordingHttpClient(answer);
  const provider = stripeProvider({
    secretKey: 'sk_test_fernhill',
    webhookSecret: WEBHOOK_SECRET,
    httpClient,
    now: () => now,
  });
  return { provider, requests: httpClient.requests };
}

function paymentInput(overrides: Partial<CreatePaymentInput> = {}): CreatePaymentInput {
  return {
    orderId: ORDER_ID,
    description: 'Order FG-00042',
    amountCents: 4250,
    currency: 'usd',
    customerEmail: 'ada@example.com',
    returnUrl: 'https://shop.example/orders/FG-00042',
    cancelUrl: 'https://shop.example/cart',
    expiresAt: new Date(NOW.getTime() + 2 * 60 * MINUTE_MS),
    idempotencyKey: 'order-65f1c0ffee0000000000abcd-payment-1',
    ...overrides,
  };
}

/** The expires_at a createPayment sent, as a Date. */
async function sentExpiry(input: Partial<CreatePaymentInput>, now: Date = NOW): Promise<Date> {
  const { provider, requests } = providerWith(() => ({ status: 200, body: checkoutSession() }), now);
  await provider.createPayment(paymentInput(input));
  return new Date(Number(requests[0]?.form.get('expires_at')) * 1000);
}

describe('Stripe webhooks', () => {
  const { provider } = providerWith(() => {
    throw new Error('a webhook makes no request');
  });

  function event(type: string, object: Record<string, unknown>) {
    return {
      id: 'evt_1PgagCB7WZ01zgkWmJ3oGdP4',
      object: 'event',
      api_version: '2026-02-25.clover',
      created: NOW_SECONDS - 2,
      data: { object },
      livemode: false,
      pending_webhooks: 1,
      request: { id: null, idempotency_key: null },
      type,
    };
  }

  function signed(body: unknown, { secret = WEBHOOK_SECRET, timestamp = NOW_SECONDS } = {}) {
    const payload = JSON.stringify(body, null, 2);
    const signature = Stripe.webhooks.generateTestHeaderString({ payload, secret, timestamp });
    return { rawBody: Buffer.from(payload), headers: { 'stripe-signature': signature } };
  }

  function read(body: unknown, options?: { secret?: string; timestamp?: number }, now?: Date) {
    const { rawBody, headers } = signed(body, options);
    return provider.readWebhook(rawBody, headers, now);
  }

  const expectedBase = { id: 'evt_1PgagCB7WZ01zgkWmJ3oGdP4', createdAt: new Date((NOW_SECONDS - 2) * 1000) };

  it('reads a paid checkout.session.completed as payment.succeeded', () => {
    const body = event('checkout.session.completed', checkoutSession({ payment_status: 'paid', status: 'complete' }));
    expect(read(body)).toEqual({
      ...expectedBase,
      type: 'payment.succeeded',
      paymentId: SESSION_ID,
      orderId: ORDER_ID,
    });
  });

  it('ignores a completed session still waiting for a delayed payment (async_payment_* follows)', () => {
    const body = event('checkout.session.completed', checkoutSession({ payment_status: 'unpaid', status: 'complete' }));
    expect(read(body)).toBeNull();
  });

  it('reads checkout.session.async_payment_succeeded as payment.succeeded', () => {
    const body = event('checkout.session.async_payment_succeeded', checkoutSession({ payment_status: 'paid' }));
    expect(read(body)).toEqual({
      ...expectedBase,
      type: 'payment.succeeded',
      paymentId: SESSION_ID,
      orderId: ORDER_ID,
    });
  });

  it('reads checkout.session.async_payment_failed as payment.failed, with a reason for the customer', () => {
    const body = event('checkout.session.async_payment_failed', checkoutSession({ status: 'complete' }));
    expect(read(body)).toEqual({
      ...expectedBase,
      type: 'payment.failed',
      paymentId: SESSION_ID,
      orderId: ORDER_ID,
      failureReason: 'Your payment did not go through. Please try again with another payment method.',
    });
  });

  it('reads checkout.session.expired as payment.failed: not completed in time', () => {
    const body = event('checkout.session.expired', checkoutSession({ status: 'expired' }));
    expect(read(body)).toEqual({
      ...expectedBase,
      type: 'payment.failed',
      paymentId: SESSION_ID,
      orderId: ORDER_ID,
      failureReason: 'The payment was not completed in time.',
    });
  });

  it('finds the order in the metadata when the session has no client_reference_id', () => {
    const body = event('checkout.session.expired', checkoutSession({ client_reference_id: null }));
    expect(read(body)).toMatchObject({ orderId: ORDER_ID });
  });

  it("ignores a session that names no order of the shop's (made in the Dashboard or by a payment link)", () => {
    const body = event(
      'checkout.session.completed',
      checkoutSession({ client_reference_id: null, metadata: {}, payment_status: 'paid' }),
    );
    expect(read(body)).toBeNull();
  });

  it.each(['refund.created', 'refund.updated'])('reads a succeeded %s as refund.succeeded', (type) => {
    expect(read(event(type, refundObject()))).toEqual({
      ...expectedBase,
      type: 'refund.succeeded',
      paymentId: SESSION_ID,
      orderId: ORDER_ID,
      refundId: REFUND_ID,
    });
  });

  it('ignores a refund not yet succeeded, and one the shop did not make (no metadata)', () => {
    expect(read(event('refund.created', refundObject({ status: 'pending' })))).toBeNull();
    expect(read(event('refund.created', refundObject({ metadata: {} })))).toBeNull();
  });

  it('answers null for an event type the shop does not act on', () => {
    const body = event('payment_intent.succeeded', { id: PAYMENT_INTENT_ID, object: 'payment_intent', metadata: {} });
    expect(read(body)).toBeNull();
  });

  it('rejects a webhook signed with another secret', () => {
    const body = event('checkout.session.expired', checkoutSession());
    expect(() => read(body, { secret: 'whsec_someone_else' })).toThrow(WebhookRejectedError);
  });

  it('rejects a body changed after signing', () => {
    const { rawBody, headers } = signed(event('checkout.session.expired', checkoutSession()));
    const tampered = Buffer.from(rawBody.toString().replace('checkout.session.expired', 'checkout.session.completed'));
    expect(() => provider.readWebhook(tampered, headers)).toThrow(WebhookRejectedError);
  });

  it('rejects a webhook without a Stripe-Signature header, or with one that is not a signature', () => {
    const { rawBody } = signed(event('checkout.session.expired', checkoutSession()));
    expect(() => provider.readWebhook(rawBody, {})).toThrow(WebhookRejectedError);
    expect(() => provider.readWebhook(rawBody, { 'stripe-signature': 'nonsense' })).toThrow(WebhookRejectedError);
  });

  it('rejects a signed body that is not an event', () => {
    expect(() => read('not an event')).toThrow(WebhookRejectedError);
    const payload = '{ not json';
    const headers = {
      'stripe-signature': Stripe.webhooks.generateTestHeaderString({
        payload,
        secret: WEBHOOK_SECRET,
        timestamp: NOW_SECONDS,
      }),
    };
    expect(() => provider.readWebhook(Buffer.from(payload), headers)).toThrow(WebhookRejectedError);
  });

  it('accepts a timestamp up to 5 minutes off the clock, either way, and rejects one further off', () => {
    const body = event('checkout.session.expired', checkoutSession());
    expect(read(body, { timestamp: NOW_SECONDS - 300 })).not.toBeNull();
    expect(read(body, { timestamp: NOW_SECONDS + 300 })).not.toBeNull();
    expect(() => read(body, { timestamp: NOW_SECONDS - 301 })).toThrow(WebhookRejectedError);
    expect(() => read(body, { timestamp: NOW_SECONDS + 301 })).toThrow(WebhookRejectedError);
  });

  it("measures the timestamp against readWebhook's `now` when given, over the provider's clock", () => {
    const body = event('checkout.session.expired', checkoutSession());
    const anHourLater = new Date(NOW.getTime() + 60 * MINUTE_MS);
    expect(() => read(body, { timestamp: NOW_SECONDS }, anHourLater)).toThrow(WebhookRejectedError);
    expect(read(body, { timestamp: NOW_SECONDS + 3600 }, anHourLater)).not.toBeNull();
  });
});

describe('Stripe requests', () => {
  describe('createPayment', () => {
    it('creates a Checkout Session for the order, with its Idempotency-Key, and returns its id and page', async () => {
      const { provider, requests } = providerWith(() => ({ status: 200, body: checkoutSession() }));

      const created = await provider.createPayment(paymentInput());

      expect(created).toEqual({ paymentId: SESSION_ID, paymentPageUrl: checkoutSession().url });
      expect(requests).toHaveLength(1);
      const [request] = requests;
      expect(request).toMatchObject({ method: 'POST', path: '/v1/checkout/sessions' });
      expect(headerOf(request!, 'Idempotency-Key')).toBe('order-65f1c0ffee0000000000abcd-payment-1');
      expect(Object.fromEntries(request!.form)).toEqual({
        mode: 'payment',
        'line_items[0][quantity]': '1',
        'line_items[0][price_data][currency]': 'usd',
        'line_items[0][price_data][unit_amount]': '4250',
        'line_items[0][price_data][product_data][name]': 'Order FG-00042',
        customer_email: 'ada@example.com',
        client_reference_id: ORDER_ID,
        'metadata[orderId]': ORDER_ID,
        'payment_intent_data[metadata][orderId]': ORDER_ID,
        success_url: 'https://shop.example/orders/FG-00042',
        cancel_url: 'https://shop.example/cart',
        expires_at: String(NOW_SECONDS + 2 * 3600),
      });
    });

    it('sends no customer_email for a customer without one', async () => {
      const { provider, requests } = providerWith(() => ({ status: 200, body: checkoutSession() }));
      await provider.createPayment(paymentInput({ customerEmail: null }));
      expect(requests[0]?.form.has('customer_email')).toBe(false);
    });

    it("ends the session with the order's hold when Stripe allows it (30 minutes to 24 hours ahead)", async () => {
      const holdEnd = new Date(NOW.getTime() + 45 * MINUTE_MS);
      expect(await sentExpiry({ expiresAt: holdEnd })).toEqual(holdEnd);
    });

    it('lets the session outlive a hold shorter than 30 minutes, by whole 30-minute steps', async () => {
      const holdEnd = new Date(NOW.getTime() + 15 * MINUTE_MS);
      expect(await sentExpiry({ expiresAt: holdEnd })).toEqual(new Date(holdEnd.getTime() + 30 * MINUTE_MS));
    });

    it('sends the same expires_at when the same payment is asked for again later (or Stripe refuses the key)', async () => {
      const holdEnd = new Date(NOW.getTime() + 15 * MINUTE_MS);
      const tenMinutesLater = new Date(NOW.getTime() + 10 * MINUTE_MS);
      expect(await sentExpiry({ expiresAt: holdEnd }, tenMinutesLater)).toEqual(
        await sentExpiry({ expiresAt: holdEnd }),
      );
    });

    it('keeps the session at least 30 minutes (and a minute for clocks) even for a hold already over', async () => {
      const expiry = await sentExpiry({ expiresAt: new Date(NOW.getTime() - 5 * MINUTE_MS) });
      expect(expiry.getTime() - NOW.getTime()).toBeGreaterThanOrEqual(31 * MINUTE_MS);
      expect(expiry.getTime() - NOW.getTime()).toBeLessThanOrEqual(61 * MINUTE_MS);
    });

    it('ends the session a minute short of 24 hours for a hold longer than that', async () => {
      const expiry = await sentExpiry({ expiresAt: new Date(NOW.getTime() + 30 * 60 * MINUTE_MS) });
      expect(expiry).toEqual(new Date(NOW.getTime() + 24 * 60 * MINUTE_MS - MINUTE_MS));
    });

    it("turns Stripe's refusal (402 card_error) into a PaymentProviderError that keeps Stripe's error", async () => {
      const { provider } = providerWith(() =>
        stripeError(402, { type: 'card_error', code: 'card_declined', message: 'Your card was declined.' }),
      );

      const failure = await provider.createPayment(paymentInput()).catch((error: unknown) => error);

      expect(failure).toBeInstanceOf(PaymentProviderError);
      expect((failure as Error).message).toMatch(
        /order 65f1c0ffee0000000000abcd: \[req_fernhill0001\] Your card was declined\. \(StripeCardError, HTTP 402/,
      );
      expect((failure as Error).cause).toBeInstanceOf(Stripe.errors.StripeCardError);
    });

    it('turns a Stripe outage (500, not to be retried) into a PaymentProviderError', async () => {
      const { provider, requests } = providerWith(() =>
        stripeError(
          500,
          { type: 'api_error', message: 'An unknown error occurred' },
          { 'stripe-should-retry': 'false' },
        ),
      );

      await expect(provider.createPayment(paymentInput())).rejects.toThrow(PaymentProviderError);
      expect(requests).toHaveLength(1);
    });
  });

  describe('refundPayment', () => {
    const paidSession = checkoutSession({
      payment_intent: PAYMENT_INTENT_ID,
      payment_status: 'paid',
      status: 'complete',
    });

    it('retrieves the session, then refunds its PaymentIntent with the Idempotency-Key, naming payment and order', async () => {
      const { provider, requests } = providerWith((request) =>
        request.method === 'GET' ? { status: 200, body: paidSession } : { status: 200, body: refundObject() },
      );

      const refunded = await provider.refundPayment({
        paymentId: SESSION_ID,
        amountCents: 1500,
        idempotencyKey: 'order-65f1c0ffee0000000000abcd-refund-1',
      });

      expect(refunded).toEqual({ refundId: REFUND_ID });
      expect(requests.map(({ method, path }) => `${method} ${path}`)).toEqual([
        `GET /v1/checkout/sessions/${SESSION_ID}`,
        'POST /v1/refunds',
      ]);
      const refundRequest = requests[1]!;
      expect(headerOf(refundRequest, 'Idempotency-Key')).toBe('order-65f1c0ffee0000000000abcd-refund-1');
      expect(Object.fromEntries(refundRequest.form)).toEqual({
        payment_intent: PAYMENT_INTENT_ID,
        amount: '1500',
        'metadata[paymentId]': SESSION_ID,
        'metadata[orderId]': ORDER_ID,
      });
    });

    it('refuses to refund a session that took no payment, without asking Stripe to', async () => {
      const { provider, requests } = providerWith(() => ({ status: 200, body: checkoutSession() }));

      await expect(
        provider.refundPayment({ paymentId: SESSION_ID, amountCents: 1500, idempotencyKey: 'refund-1' }),
      ).rejects.toThrow(PaymentProviderError);
      expect(requests.map(({ method }) => method)).toEqual(['GET']);
    });

    it("turns Stripe's refusal of the refund into a PaymentProviderError", async () => {
      const { provider } = providerWith((request) =>
        request.method === 'GET'
          ? { status: 200, body: paidSession }
          : stripeError(400, {
              type: 'invalid_request_error',
              code: 'charge_already_refunded',
              message: 'Charge ch_3PgafyB7WZ01zgkW0ixqJm2L has already been refunded.',
            }),
      );

      const failure = await provider
        .refundPayment({ paymentId: SESSION_ID, amountCents: 1500, idempotencyKey: 'refund-1' })
        .catch((error: unknown) => error);

      expect(failure).toBeInstanceOf(PaymentProviderError);
      expect((failure as Error).cause).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    });
  });
});
