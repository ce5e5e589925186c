import { Types } from 'mongoose';
import { sweepExpiredDocuments } from '../src/db';
import { GuestCart, guestCart } from '../src/models/GuestCart';
import { PasswordReset, hashToken, newToken } from '../src/models/PasswordReset';
import { expireLeftovers } from '../src/services/housekeeping';
import { createUser } from './helpers/http';
import { itWhereServerHas, itWhereServerLacks } from './helpers/server';
import { useTestDatabase } from './helpers/testApp';

useTestDatabase();
const HOUR = 60 * 60 * 1000;
const SESSION_LIFETIME_SECONDS = 8 * 60 * 60;

beforeAll(() => expireLeftovers(SESSION_LIFETIME_SECONDS));

async function aGuestCartAndTwoResets() {
  await guestCart.add('guest-session', new Types.ObjectId());
  const user = await createUser();
  const reset = (expiresAt: Date) => ({ userId: user._id, tokenHash: hashToken(newToken()), expiresAt });
  await PasswordReset.create([reset(new Date(Date.now() - 30 * HOUR)), reset(new Date(Date.now() + HOUR))]);
}

it('stamps a guest cart with the time of its last change, which its expiry goes by', async () => {
  const before = Date.now();
  await guestCart.add('stamped', new Types.ObjectId());
  const cart = await GuestCart.findById('stamped').lean();
  expect(cart?.updatedAt.getTime()).toBeGreaterThanOrEqual(before - 1000);
});

itWhereServerLacks('ttlDeletes', 'its TTL indexes delete')(
  'deletes abandoned guest carts and long-expired reset tokens, and nothing else',
  async () => {
    await GuestCart.deleteMany({});
    await PasswordReset.deleteMany({});
    await aGuestCartAndTwoResets();

    const nineHoursLater = Date.now() + 9 * HOUR;
    const deleted = await sweepExpiredDocuments(nineHoursLater);

    expect(deleted[`${GuestCart.collection.dbName}.guestcarts.updatedAt`]).toBe(1);
    expect(await GuestCart.countDocuments()).toBe(0);
    expect(await PasswordReset.countDocuments()).toBe(1);
    // An hour later the active cart would still be there.
    await guestCart.add('active', new Types.ObjectId());
    await sweepExpiredDocuments(Date.now() + HOUR);
    expect(await GuestCart.countDocuments()).toBe(1);
  },
);

itWhereServerHas('ttlDeletes', 'the app sweeps instead, tested above')(
  'leaves the deleting to TTL indexes with the right delays',
  async () => {
    const ttl = async (collection: typeof GuestCart.collection, field: string) =>
      (await collection.indexes()).find((index) => index.key[field] === 1)?.expireAfterSeconds;
    expect(await ttl(GuestCart.collection, 'updatedAt')).toBe(SESSION_LIFETIME_SECONDS);
    expect(await ttl(PasswordReset.collection, 'expiresAt')).toBe(24 * 60 * 60);
  },
);
