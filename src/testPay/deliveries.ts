import type { Db } from 'mongodb';
import { DELIVERIES_COLLECTION, isDuplicateKeyError, onFirstUse } from './database';
import type { WebhookEvent } from './events';
import { oneAtATime } from './oneAtATime';
import { FERNHILL_SIGNATURE_HEADER, signWebhook } from './signature';

/** Ways to misbehave as real providers sometimes do, for tests of the shop's webhook handling. */
export type TestPayChaos = 'duplicate' | 'late' | 'out-of-order' | 'bad-signature';

export type SendWebhook = (url: string, body: string, headers: Record<string, string>) => Promise<number>;

export interface TestPayLog {
  warn(details: object, message: string): void;
  info?(details: object, message: string): void;
}

/** A webhook to deliver, as stored in `testpay.deliveries`: one per event, its id the event's. */
export interface DeliveryDocument {
  _id: string;
  /** The event's JSON, as sent every time (signed afresh at each send). */
  body: string;
  /** Failed sends so far. */
  attempts: number;
  nextAttemptAt: Date;
  deliveredAt: Date | null;
  abandonedAt: Date | null;
  createdAt: Date;
}

export interface DeliverySettings {
  db: () => Db;
  webhookSecret: string;
  webhookUrl: string;
  send: SendWebhook;
  chaos: ReadonlySet<TestPayChaos>;
  now: () => Date;
  retry: { firstDelayMs: number; maxDelayMs: number; maxAttempts: number };
  log?: TestPayLog;
}

/**
 * How long a claimed delivery is left to its claimer before another run may send it again: longer
 * than a send takes (the default send gives up after 10 s), short enough that one whose sender
 * died is soon sent by someone else.
 */
const CLAIM_LEASE_MS = 60_000;
/** Chaos `late`: how long after its event a webhook is first sent. */
const LATE_BY_MS = 30_000;
/** At most this many deliveries per run; the next run sends the rest. */
const MAX_PER_RUN = 1000;

type Attempt = 'delivered' | 'failed' | 'not due';

const isSuccess = (status: number) => status >= 200 && status < 300;

/** Fetch's POST, as a webhook sender: the status, or a rejection when the shop cannot be reached. */
export const postWithFetch: SendWebhook = async (url, body, headers) => {
  const response = await fetch(url, {
    method: 'POST',
    body,
    headers,
    redirect: 'manual',
    signal: AbortSignal.timeout(10_000),
  });
  await response.body?.cancel();
  return response.status;
};

/**
 * The webhook queue: every event is stored before it is sent, then sent until the shop answers 2xx
 * (at least once: a lost answer means a second send), with exponential backoff, and given up
 * after `maxAttempts` failed sends.
 */
export function webhookDeliveries(settings: DeliverySettings) {
  const { chaos, now, retry, log } = settings;
  const collection = () => settings.db().collection<DeliveryDocument>(DELIVERIES_COLLECTION);
  const indexed = onFirstUse(() =>
    // What `deliverDue` looks for (no partial index: FerretDB refuses them).
    collection().createIndex({ deliveredAt: 1, abandonedAt: 1, nextAttemptAt: 1 }, { name: 'testpay_due' }),
  );
  const deliveries = async () => {
    await indexed();
    return collection();
  };
  const sendsImmediately = !chaos.has('late') && !chaos.has('out-of-order');

  /** One POST of `body`, signed now; true when the shop answered 2xx. Never throws. */
  async function sendOnce(eventId: string, body: string): Promise<boolean> {
    const secret = chaos.has('bad-signature') ? `not-${settings.webhookSecret}` : settings.webhookSecret;
    const headers = {
      'Content-Type': 'application/json',
      [FERNHILL_SIGNATURE_HEADER]: signWebhook(secret, body, Math.floor(now().getTime() / 1000)),
    };
    try {
      const status = await settings.send(settings.webhookUrl, body, headers);
      if (isSuccess(status)) return true;
      log?.info?.({ eventId, status }, 'Test Pay: the webhook was answered with an error');
    } catch (error) {
      log?.info?.({ eventId, error: String(error) }, 'Test Pay: the webhook could not be sent');
    }
    return false;
  }

  /** Sends one delivery if it is due and nobody else is sending it, and records how that went. */
  async function attempt(eventId: string): Promise<Attempt> {
    const stored = await deliveries();
    const claimedAt = now();
    // The claim moves the next attempt past the lease: another run (or instance) finds it not due.
    const claimed = await oneAtATime(`testpay:delivery:${eventId}`, () =>
      stored.findOneAndUpdate(
        { _id: eventId, deliveredAt: null, abandonedAt: null, nextAttemptAt: { $lte: claimedAt } },
        { $set: { nextAttemptAt: new Date(claimedAt.getTime() + CLAIM_LEASE_MS) } },
      ),
    );
    if (!claimed) return 'not due';

    let delivered = false;
    for (let sends = chaos.has('duplicate') ? 2 : 1; sends > 0; sends--) {
      delivered = (await sendOnce(eventId, claimed.body)) || delivered;
    }

    const at = now();
    if (delivered) {
      await stored.updateOne({ _id: eventId, deliveredAt: null }, { $set: { deliveredAt: at } });
      return 'delivered';
    }
    const attempts = claimed.attempts + 1;
    if (attempts >= retry.maxAttempts) {
      await stored.updateOne({ _id: eventId, deliveredAt: null }, { $inc: { attempts: 1 }, $set: { abandonedAt: at } });
      log?.warn(
        { eventId, attempts, webhookUrl: settings.webhookUrl },
        'Test Pay gave up delivering a webhook: the shop never answered 2xx',
      );
    } else {
      const delayMs = Math.min(retry.firstDelayMs * 2 ** (attempts - 1), retry.maxDelayMs);
      await stored.updateOne(
        { _id: eventId, deliveredAt: null },
        { $inc: { attempts: 1 }, $set: { nextAttemptAt: new Date(at.getTime() + delayMs) } },
      );
    }
    return 'failed';
  }

  /**
   * Stores `event` for delivery (once: a second publish of the same event changes nothing) and,
   * unless chaos says otherwise, sends it at once. Throws only when the event cannot be stored;
   * a failed first send is left to `deliverDue`.
   */
  async function publish(event: WebhookEvent): Promise<void> {
    const stored = await deliveries();
    const at = now();
    const firstAttemptAt = chaos.has('late') ? new Date(at.getTime() + LATE_BY_MS) : at;
    // Inserted once: the event's id is its `_id`, so a second publish of it meets a duplicate key and
    // changes nothing. (Not an upsert with $setOnInsert: FerretDB leaves out the null fields there.)
    try {
      await stored.insertOne({
        _id: event.id,
        body: JSON.stringify(event),
        attempts: 0,
        nextAttemptAt: firstAttemptAt,
        deliveredAt: null,
        abandonedAt: null,
        createdAt: at,
      });
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
    }
    if (!sendsImmediately) return;
    try {
      await attempt(event.id);
    } catch (error) {
      log?.warn({ eventId: event.id, error: String(error) }, 'Test Pay: the first send of a webhook failed');
    }
  }

  /** Sends every delivery that is due: oldest first (chaos `out-of-order`: newest first). */
  async function deliverDue(): Promise<{ delivered: number; failed: number }> {
    const order = chaos.has('out-of-order') ? -1 : 1;
    const due = await (
      await deliveries()
    )
      .find({ deliveredAt: null, abandonedAt: null, nextAttemptAt: { $lte: now() } }, { projection: { _id: 1 } })
      .sort({ createdAt: order, _id: order })
      .limit(MAX_PER_RUN)
      .toArray();
    const counts = { delivered: 0, failed: 0 };
    for (const { _id } of due) {
      const outcome = await attempt(_id);
      if (outcome !== 'not due') counts[outcome]++;
    }
    return counts;
  }

  /** Runs `deliverDue` every `intervalMs` (never two at once) until the returned function is called. */
  function startDelivering(intervalMs: number): () => void {
    let running = false;
    const timer = setInterval(() => {
      if (running) return;
      running = true;
      deliverDue()
        .catch((error: unknown) => log?.warn({ error: String(error) }, 'Test Pay could not deliver webhooks'))
        .finally(() => (running = false));
    }, intervalMs);
    // A timer of its own must not keep the process alive (tests, a shutdown).
    timer.unref();
    return () => clearInterval(timer);
  }

  return { publish, deliverDue, startDelivering };
}

export type WebhookDeliveries = ReturnType<typeof webhookDeliveries>;
