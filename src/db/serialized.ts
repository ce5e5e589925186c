import { serverCapabilities } from './capabilities';
import { currentDeadline } from './deadline';
import { DatabaseBusyError } from './errors';

/** How long a change waits for its turn before it answers "try again" (503). */
const GIVE_UP_AFTER_MS = 15_000;

/** The last change queued for each key: the next one runs once it has settled. */
const queues = new Map<string, Promise<void>>();
/** How many changes run or wait for each key. */
const counts = new Map<string, number>();

/** The turn comes, or the wait ends: after `ms` (busy), or at the request's deadline (deadline.ts). */
function turnWithin(before: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = currentDeadline();
  let onAbort: (() => void) | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DatabaseBusyError()), ms);
    if (!deadline) return;
    onAbort = () => reject(deadline.reason);
    if (deadline.aborted) onAbort();
    else deadline.addEventListener('abort', onAbort, { once: true });
  });
  return Promise.race([before, late]).finally(() => {
    clearTimeout(timer);
    if (onAbort) deadline?.removeEventListener('abort', onAbort);
  });
}

/**
 * Runs `change`, a change to the data named by `key`, so that it never interleaves with another
 * change to the same key.
 *
 * On a server whose single-document updates are atomic (MongoDB), `change` just runs: it must be
 * correct there on its own, as a conditional update whose result it checks. That is what every
 * caller is: this function adds nothing to correctness where updates are atomic.
 *
 * On a server without that (FerretDB 1.x, which reads and writes an update without isolation),
 * changes to one key run one after another within this process. That is all a lock could promise
 * there: a lock document across processes would be a conditional write on the same server, no
 * more atomic than what it guards, and a holder paused past its lease would write anyway. So on
 * such a server the shop runs as one process (src/db/soleInstance.ts refuses a second).
 */
export async function serialized<T>(
  key: string,
  change: () => Promise<T>,
  { giveUpAfterMs = GIVE_UP_AFTER_MS }: { giveUpAfterMs?: number } = {},
): Promise<T> {
  if (serverCapabilities().atomicUpdates) return change();
  const before = queues.get(key) ?? Promise.resolve();
  let done!: () => void;
  const mine = new Promise<void>((resolve) => (done = resolve));
  // The next change waits for this one, and for the one before it even if this one gave up waiting.
  const last = before.then(() => mine);
  queues.set(key, last);
  counts.set(key, (counts.get(key) ?? 0) + 1);
  try {
    await turnWithin(before, giveUpAfterMs);
    return await change();
  } finally {
    done();
    const left = (counts.get(key) ?? 1) - 1;
    if (left === 0) counts.delete(key);
    else counts.set(key, left);
    void last.then(() => {
      if (queues.get(key) === last) queues.delete(key);
    });
  }
}

/** How many keys have changes running or waiting (tests check that none is left behind). */
export const serializedKeys = () => queues.size;

/** How many changes to `key` run or wait for their turn now (tests wait for a change to queue). */
export const changesQueuedOn = (key: string) => counts.get(key) ?? 0;
