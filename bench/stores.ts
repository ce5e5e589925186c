import session, { type Store } from 'express-session';
import MongoStore from 'connect-mongo';
import { MongoClient, type MongoClientOptions } from 'mongodb';
import mongoose from 'mongoose';
import type { Config } from '../src/config/env';
import { sessionStoreOptions } from '../src/config/session';
import type { Logger } from '../src/lib/logger';
import type { UserSession } from '@fernhill/session-store';
import { openSessionStore } from '@fernhill/session-store';
import type { ShopSessionStore } from '../src/config/sessionStore';
import type { MonitoredClient } from '../support/commandCounter';

export const STORES = ['ours', 'connect-mongo', 'memory'] as const;
export type StoreName = (typeof STORES)[number];

export const STORE_LABELS: Record<StoreName, string> = {
  ours: 'ours (connect-mongodb-session + MongoSessionStore)',
  'connect-mongo': 'connect-mongo',
  memory: 'express-session MemoryStore',
};

export interface OpenedStore {
  store: ShopSessionStore;
  /** The store's own MongoDB client, if it has one (to count its commands); ours shares mongoose's. */
  client?: MonitoredClient;
  close(): Promise<void>;
}

function allSessions(store: Store): Promise<Record<string, session.SessionData>> {
  return new Promise(
    (resolve, reject) =>
      store.all?.((err, sessions) => {
        if (err) return reject(err instanceof Error ? err : new Error(String(err)));
        // connect-mongo answers an array (without ids) when it was asked for no ids; ours and MemoryStore an object.
        resolve(Array.isArray(sessions) ? {} : (sessions ?? {}));
      }) ?? resolve({}),
  );
}

/**
 * What createApp needs beyond express-session's Store (the account pages' listing and sign-out
 * everywhere, the admins' counts), for the comparison stores. The benchmark's scenarios never call it: it walks every
 * session, which is fine for a comparison and wrong for production.
 */
export function withSessionControl(store: Store): ShopSessionStore {
  const ofUser = async (userId: string) =>
    Object.entries(await allSessions(store)).filter(([, data]) => data.user?._id === userId);
  return Object.assign(store, {
    async sessionsOfUser(userId: string): Promise<UserSession[]> {
      return (await ofUser(userId)).map(([id, data]) => {
        const expires = data.cookie?.expires ? new Date(data.cookie.expires) : new Date();
        return { handle: id, createdAt: expires, lastActive: expires, expires };
      });
    },
    async countLiveSessionsOfUsers(userIds: readonly string[]): Promise<Map<string, number>> {
      const counts = new Map<string, number>();
      for (const [, data] of Object.entries(await allSessions(store))) {
        const id = data.user?._id;
        if (id && userIds.includes(id)) counts.set(id, (counts.get(id) ?? 0) + 1);
      }
      return counts;
    },
    // These stores keep the ids themselves: a handle is the id (never shown: the benchmark opens no /account).
    handleOf: (sid: string) => sid,
    async destroySessionOfUser(userId: string, handle: string): Promise<boolean> {
      if (!(await ofUser(userId)).some(([id]) => id === handle)) return false;
      await new Promise<void>((resolve) => store.destroy(handle, () => resolve()));
      return true;
    },
    // No cap: walking every session at each login would measure this shim, not the store. (Ours
    // reads the account's sessions once per login for it: S4 counts that read.)
    endLeastRecentSessionsOfUser: async () => 0,
    async destroySessionsOfUser(userId: string, { except }: { except?: string } = {}): Promise<number> {
      const doomed = (await ofUser(userId)).filter(([id]) => id !== except);
      await Promise.all(doomed.map(([id]) => new Promise<void>((resolve) => store.destroy(id, () => resolve()))));
      return doomed.length;
    },
    // /healthz of the comparison stores checks mongoose alone; the benchmark's S0 measures it as is.
    ping: async () => true,
  });
}

/** Opens one of the three stores the benchmark compares, on `uri`, the way the app is configured. */
export async function openStore(
  name: StoreName,
  uri: string,
  config: Config,
  logger: Logger,
  clientOptions: MongoClientOptions,
): Promise<OpenedStore> {
  if (name === 'ours') {
    // As the app opens it: on mongoose's connection (connected and monitored by the caller).
    const store = await openSessionStore(sessionStoreOptions(config, mongoose.connection, logger));
    return { store, close: () => store.close() };
  }
  if (name === 'connect-mongo') {
    const client = await MongoClient.connect(uri, clientOptions);
    const store = MongoStore.create({
      client,
      collectionName: 'sessions_connect_mongo',
      ttl: config.SESSION_MAX_AGE,
      // The same lazy touch as ours: an unmodified session is written at most this often.
      touchAfter: config.SESSION_TOUCH_INTERVAL,
      // FerretDB has no TTL index; like ours, delete expired sessions now and then.
      autoRemove: 'interval',
      autoRemoveInterval: config.SESSION_SWEEP_INTERVAL / 60,
    });
    return {
      store: withSessionControl(store),
      client,
      close: async () => {
        await store.close();
      },
    };
  }
  return { store: withSessionControl(new session.MemoryStore()), close: async () => {} };
}
