/** "2026-11-29 10:40 UTC": the shop's one way of showing a moment (times are stored in UTC). */
export function formatDateTime(date: Date): string {
  return `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** "2026-11-29". */
export function formatDate(date: Date): string {
  return date.toISOString().slice(0, 10);
}
