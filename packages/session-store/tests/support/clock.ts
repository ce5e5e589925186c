/**
 * A controlled clock for session lifetimes: only `Date` is faked (frozen, and moved by the test),
 * so the store, express-session's cookies and the test agree on the time while timers, the
 * driver's I/O and jest keep running on real time. A 7 s idle timeout then takes no wall-clock time.
 */
const REAL_TIME_APIS = [
  'hrtime',
  'nextTick',
  'performance',
  'queueMicrotask',
  'requestAnimationFrame',
  'cancelAnimationFrame',
  'requestIdleCallback',
  'cancelIdleCallback',
  'setImmediate',
  'clearImmediate',
  'setInterval',
  'clearInterval',
  'setTimeout',
  'clearTimeout',
] as const;

export interface Clock {
  now(): number;
  /** Moves the clock forward by `ms`. */
  advance(ms: number): void;
  /** Moves the clock to `time` (never backwards). */
  advanceTo(time: number): void;
}

/** Date is controlled in every test of the enclosing describe (or file). */
export function useControlledClock(): Clock {
  beforeEach(() => {
    jest.useFakeTimers({ doNotFake: [...REAL_TIME_APIS], now: Date.now() });
  });
  afterEach(() => {
    jest.useRealTimers();
  });
  const advanceTo = (time: number) => {
    if (time < Date.now()) throw new Error('the controlled clock only moves forward');
    jest.setSystemTime(time);
  };
  return { now: () => Date.now(), advance: (ms) => advanceTo(Date.now() + ms), advanceTo };
}
