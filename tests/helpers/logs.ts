import { createLogger } from '../../src/lib/logger';

/** A logger whose lines are kept in memory, to assert what reaches the logs. */
export function capturingLogger() {
  const lines: string[] = [];
  const logger = createLogger('debug', { write: (line: string) => void lines.push(line) });
  return { logger, lines, text: () => lines.join('') };
}
