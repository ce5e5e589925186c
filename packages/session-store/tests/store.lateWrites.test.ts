/** A logout is final: a write of a request still in flight never brings an ended session back. */
import { useControlledClock } from './support/clock';
import { newSid, sessionData, useTestStore } from './support/store';

describe('late writes at the store', () => {
  const testStore = useTestStore();
  const clock = useControlledClock();

  it('drops a late write of a destroyed session instead of bringing it back', async () => {
    const { api, raw } = testStore();
    const sid = newSid();
    await api.set(sid, sessionData({ isLoggedIn: true, user: { _id: 'u1', email: 'a@example.com' } }));
    // What express-session holds for a request in flight: the session as loaded from the store.
    const inFlight = (await api.load(sid))!;
    inFlight.returnTo = '/orders';

    await api.destroy(sid);
    clock.advance(2000);
    inFlight.touch();
    await expect(api.set(sid, inFlight)).resolves.toBeUndefined();
    await expect(api.touch(sid, inFlight)).resolves.toBeUndefined();

    expect(await api.get(sid)).toBeNull();
    expect(await raw.countDocuments({ _id: sid })).toBe(0);
  });

  it('drops a late write of a session that expired meanwhile', async () => {
    const { api, raw } = testStore();
    const sid = newSid();
    await api.set(sid, sessionData({ isLoggedIn: true }, 300));
    const inFlight = (await api.load(sid))!;
    clock.advance(400);
    inFlight.touch();
    inFlight.returnTo = '/orders';
    await api.set(sid, inFlight);
    await api.touch(sid, inFlight);

    expect(await api.get(sid)).toBeNull();
    expect(await raw.countDocuments({ _id: sid, expires: { $gt: new Date(clock.now()) } })).toBe(0);
  });
});
