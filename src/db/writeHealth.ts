import mongoose from 'mongoose';
import { writeRefusalReason } from './errors';

/** Holds the one document that `checkWrites` rewrites to learn whether the server takes writes. */
export const WRITE_PROBE_COLLECTION = 'write_probe';
/** While writes look fine, a probe at most this often (only when someone asks, e.g. /healthz). */
const PROBE_EVERY_MS = 10_000;

export type WriteHealth = { ok: true } | { ok: false; reason: string };

/** Why the server last refused a write, until a write succeeds again. */
let refusal: string | undefined;
let lastProbeAt = 0;
let probing: Promise<WriteHealth> | undefined;

/**
 * Notes an error the app met: one saying that the server refuses writes (a full disk, read-only
 * files) makes `checkWrites` report so until a write succeeds again. Other errors are ignored.
 */
export function noteDatabaseError(error: unknown): void {
  refusal = writeRefusalReason(error) ?? refusal;
}

async function probe(): Promise<WriteHealth> {
  const db = mongoose.connection.db;
  if (!db) return { ok: false, reason: 'not connected to the database' };
  try {
    await db
      .collection<{ _id: string; at: Date }>(WRITE_PROBE_COLLECTION)
      .updateOne({ _id: 'probe' }, { $set: { at: new Date() } }, { upsert: true });
    refusal = undefined;
  } catch (err) {
    // Two first probes upserting at once: the other one's insert was written, which is all we ask.
    const duplicate = typeof err === 'object' && err !== null && 'code' in err && err.code === 11000;
    if (!duplicate) noteDatabaseError(err);
    if (!duplicate && refusal) return { ok: false, reason: `the database refuses writes (${refusal})` };
    // Another failure (the server is gone): the pings say so; it tells nothing about writes.
  }
  return { ok: true };
}

/**
 * Whether the database takes writes. A server that is out of disk space or read-only still
 * answers pings and reads, so this is asked separately: after a refused write, each call tries a
 * write of its own (one tiny document) until one succeeds; otherwise every `PROBE_EVERY_MS`.
 */
export function checkWrites(): Promise<WriteHealth> {
  if (!refusal && Date.now() - lastProbeAt < PROBE_EVERY_MS) return Promise.resolve({ ok: true });
  probing ??= probe().finally(() => {
    probing = undefined;
    lastProbeAt = Date.now();
  });
  return probing;
}
