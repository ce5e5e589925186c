import os from 'node:os';
import mongoose from 'mongoose';
import { claimSoleInstance, DatabaseBusyError, SecondInstanceError, serialized } from '../src/db';
import { serializedKeys } from '../src/db/serialized';
import { SOLE_INSTANCE_COLLECTION } from '../src/db/soleInstance';
import { itWhereServerHas, itWhereServerLacks } from './helpers/server';
import { useTestDatabase } from './helpers/testApp';
import { waitFor } from '../support/waitFor';

useTestDatabase();

/** A change that runs until the test lets it finish. */
function heldChange() {
  let finish!: () => void;
  const finished = new Promise<void>((resolve) => (finish = resolve));
  let started!: () => void;
  const running = new Promise<void>((resolve) => (started = resolve));
  const change = async () => {
    started();
    await finished;
    return 'held one done';
  };
  return { change, running, finish };
}

/** Runs `count` changes on one key at once, each until all were started or queued; resolves to the most at once. */
async function mostAtOnce(key: string, count: number): Promise<number> {
  let running = 0;
  let most = 0;
  const change = async () => {
    running += 1;
    most = Math.max(most, running);
    // Lets every other change start (or find its turn taken) before this one ends.
    await new Promise((resolve) => setImmediate(resolve));
    running -= 1;
  };
  await Promise.all(Array.from({ length: count }, () => serialized(key, change)));
  return most;
}

itWhereServerLacks('atomicUpdates', 'its updates are atomic, so changes need no turn')(
  'runs changes to one key one at a time, and keeps nothing once they are done',
  async () => {
    expect(await mostAtOnce('test:serial', 5)).toBe(1);
    await waitFor('the queue to empty', async () => serializedKeys() === 0);
  },
);

itWhereServerHas('atomicUpdates', 'its updates are not atomic, so changes take turns')(
  'lets changes run at once where single-document updates are atomic',
  async () => {
    expect(await mostAtOnce('test:free', 5)).toBe(5);
  },
);

itWhereServerLacks('atomicUpdates', 'changes never wait there')(
  'gives up on a turn that does not come with a "try again" 503, and the queue goes on',
  async () => {
    const held = heldChange();
    const first = serialized('test:busy', held.change);
    await held.running;
    const impatient = serialized('test:busy', async () => 'ran', { giveUpAfterMs: 50 });
    await expect(impatient).rejects.toBeInstanceOf(DatabaseBusyError);
    await expect(impatient).rejects.toMatchObject({ status: 503, retryAfterSeconds: 5 });
    held.finish();
    await expect(first).resolves.toBe('held one done');
    await expect(serialized('test:busy', async () => 'ran after')).resolves.toBe('ran after');
  },
);

describe('the sole-instance claim (for a server without atomic updates)', () => {
  const claims = () =>
    mongoose.connection.db!.collection<{ _id: string; holder: string; host: string; pid: number; expiresAt: Date }>(
      SOLE_INSTANCE_COLLECTION,
    );
  const db = () => mongoose.connection.db!;

  it('refuses a second claim while the first holder lives, and takes it once released', async () => {
    const first = await claimSoleInstance(db(), () => undefined);
    await expect(claimSoleInstance(db(), () => undefined)).rejects.toBeInstanceOf(SecondInstanceError);
    await first.release();
    const second = await claimSoleInstance(db(), () => undefined);
    await second.release();
  });

  it('takes over at once the claim of a process that is gone (killed), and one whose lease ran out', async () => {
    // A pid that no process has on this host (the kernel's limit is lower).
    await claims().insertOne({
      _id: 'writer',
      holder: 'killed',
      host: os.hostname(),
      pid: 2 ** 30,
      expiresAt: new Date(Date.now() + 60_000),
    });
    const afterKill = await claimSoleInstance(db(), () => undefined);
    await afterKill.release();
    await claims().insertOne({
      _id: 'writer',
      holder: 'elsewhere',
      host: 'another-host',
      pid: 1,
      expiresAt: new Date(Date.now() - 1),
    });
    const afterLease = await claimSoleInstance(db(), () => undefined);
    await afterLease.release();
  });

  it('tells a holder that was paused while another took its claim over', async () => {
    let lost = false;
    const paused = await claimSoleInstance(db(), () => (lost = true));
    // Another instance found the lease run out and took over.
    await claims().deleteOne({ _id: 'writer' });
    await claims().insertOne({
      _id: 'writer',
      holder: 'newcomer',
      host: 'another-host',
      pid: 1,
      expiresAt: new Date(Date.now() + 60_000),
    });
    await waitFor('the paused holder to notice', async () => lost, 10_000);
    await paused.release();
    expect(await claims().countDocuments({ holder: 'newcomer' })).toBe(1);
  });
});
