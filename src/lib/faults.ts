/**
 * Crash points, for the reliability tests only: they make the server die at an exact step (in
 * the middle of a checkout, say), which no signal sent from outside can time. server.ts arms one
 * with NODE_ENV=test and FAULT_CRASH_AT=<point> (config refuses the variable otherwise); unarmed,
 * `crashPoint` does nothing. The points: see `crashPoint` calls (e.g. services/checkout.ts).
 */
let armed: string | undefined;

export function armCrashPoint(point: string | undefined): void {
  armed = point;
}

/** Kills the process at once, as `kill -9` would (nothing runs after it), if `point` is armed. */
export function crashPoint(point: string): void {
  if (point === armed) process.kill(process.pid, 'SIGKILL');
}
