import { GuestCart } from '../src/models/GuestCart';
import { PasswordReset, hashToken, newToken } from '../src/models/PasswordReset';
import { removeLeftovers } from '../src/services/housekeeping';
import { createUser } from './helpers/http';
import { useTestDatabase } from './helpers/testApp';

useTestDatabase();
const HOUR = 60 * 60 * 1000;

it('removes abandoned guest carts and long-expired reset tokens, and nothing else', async () => {
  const user = await createUser();
  await GuestCart.collection.insertMany([
    { _id: 'abandoned' as never, cart: { items: [], version: 1 }, updatedAt: new Date(Date.now() - 9 * HOUR) },
    { _id: 'active' as never, cart: { items: [], version: 1 }, updatedAt: new Date() },
  ]);
  const reset = (expiresAt: Date) => ({ userId: user._id, tokenHash: hashToken(newToken()), expiresAt });
  await PasswordReset.create([reset(new Date(Date.now() - 30 * HOUR)), reset(new Date(Date.now() + HOUR))]);

  expect(await removeLeftovers(8 * HOUR)).toEqual({ guestCarts: 1, passwordResets: 1 });

  expect((await GuestCart.find().lean()).map((cart) => cart._id)).toEqual(['active']);
  expect(await PasswordReset.countDocuments()).toBe(1);
});
