import mongoose from 'mongoose';
import request from 'supertest';
import type { SessionDocument } from '@fernhill/session-store';
import { createUser, csrfToken, logIn, sessionCookie, sessionIdFrom, uniqueEmail } from './helpers/http';
import { someProduct } from './helpers/shop';
import { storedSessionId, useTestApp } from './helpers/testApp';
import { useControlledClock } from './helpers/clock';

const testApp = useTestApp({ GUEST_SESSION_MAX_AGE: '2', SESSION_MAX_AGE: '600', SESSION_TOUCH_INTERVAL: '1' });
const sessions = () => mongoose.connection.collection<SessionDocument>('sessions');
const sessionCookieIn = (response: request.Response) =>
  ((response.headers['set-cookie'] as unknown as string[] | undefined) ?? []).find((c) => c.startsWith('shop.sid='));

async function guestWithCart() {
  const guest = request.agent(testApp().app);
  const _csrf = await csrfToken(guest, '/login');
  const added = await guest
    .post('/cart')
    .type('form')
    .send({ _csrf, productId: (await someProduct()).id })
    .expect(302);
  return { guest, added, sid: sessionIdFrom(added.headers['set-cookie'])! };
}

describe('a guest session', () => {
  // Only Date is moved: idling out takes no wall-clock time.
  const clock = useControlledClock();

  it('idles out after GUEST_SESSION_MAX_AGE, in the store and in the cookie', async () => {
    const { guest, added, sid } = await guestWithCart();
    const doc = await sessions().findOne({ _id: storedSessionId(sid) });
    expect(doc!.expires.getTime() - Date.now()).toBeLessThanOrEqual(2000);
    expect(sessionCookieIn(added)).toMatch(/; Expires=/);
    expect((await guest.get('/')).text).toContain('data-testid="cart-count"');
    const cookie = sessionCookie(guest);

    clock.advance(2500);
    // The cookie replayed (the browser would have dropped it): the server no longer knows the session.
    const later = await request(testApp().app).get('/').set('Cookie', cookie);
    expect(later.text).not.toContain('data-testid="cart-count"');
  });

  it('becomes a login with its own idle timeout and a browser-session cookie', async () => {
    const { guest } = await guestWithCart();
    const email = uniqueEmail();
    await createUser(email);
    const login = await logIn(guest, email);
    expect(login.status).toBe(302);
    expect(sessionCookieIn(login)).not.toMatch(/Expires=|Max-Age=/i);
    const doc = await sessions().findOne({ _id: storedSessionId(sessionIdFrom(login.headers['set-cookie'])!) });
    expect(doc!.expires.getTime() - Date.now()).toBeGreaterThan(500_000);
  });
});
