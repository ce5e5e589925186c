export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Polls `check` until it returns something truthy, and returns that; throws with `what` (and the
 * last error `check` threw) after `timeoutMs`, measured on the monotonic clock (a test may have
 * frozen `Date`).
 */
export async function waitFor<T>(what: string, check: () => Promise<T>, timeoutMs = 20_000, everyMs = 200) {
  const deadline = performance.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value;
    } catch (err) {
      last = err;
    }
    if (performance.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${String(last)})` : ''}`,
      );
    }
    await sleep(everyMs);
  }
}
