/** Heap growth of the app holding many sessions, with our store and with MemoryStore (bench/memory.ts). */
import { measureMemory, type MemoryReport } from '../processes';
import { log, settings } from '../settings';

export async function memoryRuns(uri: string): Promise<MemoryReport[]> {
  const reports: MemoryReport[] = [];
  for (const store of ['ours', 'memory'] as const) {
    log(`memory, ${store}: ${settings.memorySessions} sessions`);
    reports.push(await measureMemory(store, uri, settings.memorySessions));
  }
  return reports;
}
