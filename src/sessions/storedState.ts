/**
 * What the store knows about a session it loaded (or has written) during this request: its creation
 * time and when it was last written. It rides on the session object under a symbol, set by `get`
 * and carried over by `createSession`, so express-session's change detection (a JSON hash), the
 * app's JSON and the stored data never see it.
 */
export interface StoredState {
  createdAt: number;
  writtenAt: number;
}

/** The state of a session as its document shows it. */
export function stateOf(doc: { createdAt: Date; lastModified?: Date }): StoredState {
  return { createdAt: doc.createdAt.getTime(), writtenAt: doc.lastModified?.getTime() ?? 0 };
}

const STORED = Symbol('session store state');

export function storedState(data: object): StoredState | undefined {
  return (data as { [STORED]?: StoredState })[STORED];
}

export function markStored(data: object, state: StoredState): void {
  Object.defineProperty(data, STORED, { value: state, configurable: true, writable: true, enumerable: false });
}
