import { Order } from '../../src/models/Order';
import { User } from '../../src/models/User';
import { uniqueEmail } from '../helpers/http';
import { someProduct } from '../helpers/shop';
import { itWhereServerHas, itWhereServerLacks } from '../helpers/server';
import { useTestDatabase } from '../helpers/testApp';
import { ShopProcess } from '../../support/shopProcess';
import { addToCart, logIn, logOut, placeOrder, sentToPay, signUp } from '../../support/shopFlows';
import { WebClient } from '../../support/webClient';

const database = useTestDatabase();
const servers: ShopProcess[] = [];

afterAll(async () => {
  await Promise.all(servers.map((server) => server.stop()));
});

describe('two server processes on one database', () => {
  itWhereServerHas('atomicUpdates', 'one process only there: a second is refused (below)')(
    'share logins, carts, orders and logouts',
    async () => {
      // No fast failures: nothing fails here, and a busy machine is slow for seconds.
      servers.push(...(await Promise.all([1, 2].map(() => ShopProcess.start({ databaseUri: database() })))));
      const [a, b] = servers as [ShopProcess, ShopProcess];
      await Promise.all([a, b].map((server) => server.waitUntil('is ready', (status) => status === 200)));
      const product = await someProduct({ title: 'Two-instance tea tin' });

      // One visitor, one cookie jar, whichever instance the balancer picks.
      const onA = new WebClient(a.url);
      const onB = onA.at(b.url);
      const email = uniqueEmail('instances');
      await signUp(onA, email, a.outboxDir);
      await logIn(onA, email);
      expect((await onB.get('/account')).text).toContain(email);

      expect((await addToCart(onB, product.id as string)).location).toBe('/cart');
      expect((await onA.get('/cart')).text).toContain('Two-instance tea tin');

      expect(sentToPay(await placeOrder(onA))).toBe(true);
      const orders = await onB.get('/orders');
      expect(orders.status).toBe(200);
      expect(orders.text).toContain('Two-instance tea tin');
      const user = await User.findOne({ email });
      expect(await Order.countDocuments({ userId: user?._id })).toBe(1);
      expect(user?.cart.items).toHaveLength(0);

      const cookieBeforeLogout = onB.cookieHeader;
      expect(onB.cookie('shop.sid')).toMatch(/^s%3A/);
      const logout = await logOut(onB);
      expect([logout.status, logout.location]).toEqual([302, '/']);
      expect(onB.cookie('shop.sid')).toBeUndefined();

      // Someone replaying the old cookie on the other instance is logged out there too.
      const replay = new WebClient(a.url, { agent: false });
      replay.cookieHeader = cookieBeforeLogout;
      const account = await replay.get('/account');
      expect([account.status, account.location]).toEqual([302, '/login']);
    },
    90_000,
  );

  itWhereServerLacks('atomicUpdates', 'its updates are atomic, so any number of processes may share it')(
    'where updates are not atomic, a second process refuses to start, in one sentence, and the first serves on',
    async () => {
      const first = await ShopProcess.start({ databaseUri: database() });
      servers.push(first);
      await first.waitUntil('is ready', (status) => status === 200);
      const second = await ShopProcess.start({ databaseUri: database(), until: 'nothing' });
      servers.push(second);
      expect(await second.exitWithin(30_000)).toEqual({ code: 78, signal: null });
      expect(second.log()).toContain('Another instance of the shop is using this database');
      expect(second.log()).not.toMatch(/\n\s+at /);
      expect(await first.health()).toBe(200);

      // Stopped cleanly, the first gives its claim up: the next start takes it at once.
      await first.stop();
      const next = await ShopProcess.start({ databaseUri: database() });
      servers.push(next);
      await next.waitUntil('is ready', (status) => status === 200);
    },
    90_000,
  );
});
