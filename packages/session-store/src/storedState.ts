/**
 * What the store knows about a session it loaded (or has written) during this request: its creation
 * time, its idle deadline, when it was last written and, after a write of ours, what we wrote. It
 * rides on the session object under a symbol, set by `get` and carried over by `createSession`, so
 * express-session's change detection (a JSON hash), the app's JSON and the stored data never see it.
 *
 * It is what lets writes decide liveness without asking the server: a document's `expires` only
 * moves forward (every write sets it from its own time, under the same cap) until the document is
 * deleted, so a session that was live when read and whose deadline has not passed is still live,
 * or gone, and an update by `_id` alone cannot bring it back.
 */
export interface StoredState {
  createdAt: number;
  /** The idle deadline (`expires`) as last read or written. */
  expiresAt: number;
  writtenAt: number;
  /** The session data without its cookie, as JSON, after this store wrote it during this request. */
  written?: string;
  /** Its data is to be sealed (again) under the newest key: the next touch writes it whole (codec.ts). */
  needsNewSeal?: boolean;
}

/** The state of a session as its document shows it. */
export function stateOf(
  doc: { createdAt: Date; expires: Date; lastModified?: Date },
  needsNewSeal = false,
): StoredState {
  return {
    createdAt: doc.createdAt.getTime(),
    expiresAt: doc.expires.getTime(),
    writtenAt: doc.lastModified?.getTime() ?? 0,
    ...(needsNewSeal ? { needsNewSeal } : {}),
  };
}

/** Neither idle too long nor past its absolute lifetime, as far as the state tells. */
export function isLiveState(state: StoredState, now: number, absoluteTtlMs: number): boolean {
  return state.expiresAt > now && state.createdAt + absoluteTtlMs > now;
}

const STORED = Symbol('session store state');

export function storedState(data: object): StoredState | undefined {
  return (data as { [STORED]?: StoredState })[STORED];
}

export function markStored(data: object, state: StoredState): void {
  Object.defineProperty(data, STORED, { value: state, configurable: true, writable: true, enumerable: false });
}
