/**
 * Counts the database commands an app sends, through the MongoDB driver's command monitoring
 * (`monitorCommands: true`, 'commandStarted' events), on every client it uses: mongoose's and the
 * session store's own (connect-mongodb-session and connect-mongo bring a second driver copy).
 */

export type CommandKind = 'read' | 'write' | 'other';

/** What both driver copies' MongoClient offer (their classes are distinct types). */
export interface MonitoredClient {
  on(
    event: 'commandStarted',
    listener: (event: { commandName: string; command: Record<string, unknown> }) => void,
  ): unknown;
}

const READS = new Set(['find', 'aggregate', 'count', 'distinct', 'getMore', 'listIndexes', 'listCollections']);
const WRITES = new Set(['insert', 'update', 'delete', 'findAndModify', 'createIndexes', 'dropIndexes', 'drop']);

export function kindOf(commandName: string): CommandKind {
  if (READS.has(commandName)) return 'read';
  if (WRITES.has(commandName)) return 'write';
  return 'other';
}

/** Counts by "kind:collection" (e.g. "read:sessions", "write:users", "other:-" for ping). */
export type CommandCounts = Record<string, number>;

export class CommandCounter {
  private counts = new Map<string, number>();

  watch(client: MonitoredClient): void {
    client.on('commandStarted', ({ commandName, command }) => {
      const target = command[commandName];
      const collection = typeof target === 'string' && commandName !== 'getMore' ? target : '-';
      const key = `${kindOf(commandName)}:${commandName === 'getMore' ? String(command.collection) : collection}`;
      this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
    });
  }

  /** The counts since the last take, and a fresh start. */
  take(): CommandCounts {
    const snapshot = Object.fromEntries(this.counts);
    this.counts.clear();
    return snapshot;
  }
}

/** Where the stores keep sessions: ours (and MemoryStore: nowhere), connect-mongo. */
export const SESSION_COLLECTIONS = new Set(['sessions', 'sessions_connect_mongo']);

/** Sums counts of one kind, for all collections or those given. */
export function sum(counts: CommandCounts, kind: CommandKind, collections?: Set<string> | string): number {
  let total = 0;
  for (const [key, value] of Object.entries(counts)) {
    const [k, collection = ''] = key.split(':');
    if (k !== kind) continue;
    if (typeof collections === 'string' ? collection !== collections : collections && !collections.has(collection))
      continue;
    total += value;
  }
  return total;
}
