/** The last piece of work queued for each key; the next one starts once it has settled. */
const tails = new Map<string, Promise<void>>();

/**
 * Runs `work` for `key` after every earlier work for the same key in this process has settled.
 *
 * Why: every decision Test Pay makes (a payment's outcome, a refund, claiming a webhook to send)
 * is a conditional update, which is enough on MongoDB. FerretDB 1.x, the shop's offline database,
 * does not apply an update atomically, so two concurrent conditional updates could both "win"
 * there. On FerretDB the shop runs as one process, and Test Pay lives in it, so queuing the work
 * here is all it takes; on MongoDB it only orders work that would be correct without it. Kept
 * this simple on purpose, and apart from the shop's own version (Test Pay depends on nothing of it).
 */
export async function oneAtATime<T>(key: string, work: () => Promise<T>): Promise<T> {
  const before = tails.get(key) ?? Promise.resolve();
  let release!: () => void;
  const mine = new Promise<void>((resolve) => (release = resolve));
  const tail = before.then(() => mine);
  tails.set(key, tail);
  try {
    await before;
    return await work();
  } finally {
    release();
    if (tails.get(key) === tail) tails.delete(key);
  }
}
