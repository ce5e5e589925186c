import type { CommandStartedEvent, MongoClient } from 'mongodb';

/**
 * The commands on the `sessions` collection that `client` sends while `work` runs, as the driver's
 * command monitoring reports them (the client needs `monitorCommands: true`).
 */
export async function sessionCommandsDuring(
  client: MongoClient,
  work: () => Promise<unknown>,
): Promise<CommandStartedEvent[]> {
  const seen: CommandStartedEvent[] = [];
  const listener = (event: CommandStartedEvent) => {
    if (event.command[event.commandName] === 'sessions') seen.push(event);
  };
  client.on('commandStarted', listener);
  try {
    await work();
  } finally {
    client.off('commandStarted', listener);
  }
  return seen;
}
