import { Order } from '../../src/models/Order';
import { Product } from '../../src/models/Product';
import { User } from '../../src/models/User';
import { createUser } from '../helpers/http';
import { testServer } from '../helpers/server';
import { someProduct } from '../helpers/shop';
import { useTestDatabase } from '../helpers/testApp';
import { ShopProcess } from '../../support/shopProcess';
import { addToCart, logIn, placeOrder, sentToPay } from '../../support/shopFlows';
import { WebClient, type Page } from '../../support/webClient';

/**
 * A server process killed (SIGKILL, from inside at an exact step: src/lib/faults.ts) in the middle
 * of a checkout, at each step in turn; the shopper then goes on with the shop as another process
 * serves it, and the database must hold every added item exactly once: in the cart or in an order;
 * and every product's stock plus what all orders hold of it must be the stock it started with.
 * Where updates are not atomic (FerretDB) the shop runs as one process (src/db/soleInstance.ts), so
 * there the other process is stopped while the doomed one runs, and started again after, as a
 * supervisor would.
 */
const database = useTestDatabase();
let shop: ShopProcess | undefined;
let products: { mug: string; tea: string };
const STARTING_STOCK = 500;

beforeAll(async () => {
  const [mug, tea] = [
    await someProduct({ title: 'Crash mug', stock: STARTING_STOCK }),
    await someProduct({ title: 'Crash tea', stock: STARTING_STOCK }),
  ];
  products = { mug: mug.id as string, tea: tea.id as string };
  shop = await ShopProcess.start({ databaseUri: database() });
  await shop.waitUntil('is ready', (status) => status === 200);
}, 60_000);

afterAll(async () => {
  await shop?.stop();
});

/** The process meant to die at its crash point: stopped after each test, should a test fail before the point. */
let doomed: ShopProcess | undefined;
afterEach(async () => {
  await doomed?.stop();
  doomed = undefined;
});

/** The steps of a checkout, in order, as the crash points name them. */
const STEPS = [
  'checkout:before-order', // nothing written yet
  'checkout:order-written', // the order is written (its stock move pending), its items are still in the cart
  'cart:before-write', // the order's claim on its cart (taking its items out) is about to be sent
  'checkout:cart-settled', // the claim is made, the order is not marked so yet
  'checkout:stock-taking', // the first line's stock is taken, not the second's
  'checkout:stock-taken', // every line's stock is taken, the order is not decided so yet
  'checkout:order-settled', // all done, the answer not sent
];
/** What the shopper does next, at the shop that still runs. */
const NEXT = {
  'views the cart': (client: WebClient) => client.get('/cart'),
  'adds another item': (client: WebClient) => addToCart(client, products.tea),
  'places the order again': (client: WebClient) => placeOrder(client),
};

type Quantities = Record<string, number>;
const count = (into: Quantities, items: Array<{ productId: { toString(): string }; quantity: number }>) => {
  for (const item of items) into[item.productId.toString()] = (into[item.productId.toString()] ?? 0) + item.quantity;
  return into;
};

/** Every added item exactly once: in the cart or in an order, never both, never neither. */
async function reconcile(email: string, added: Quantities) {
  const user = await User.findOne({ email }).lean();
  const orders = await Order.find({ userId: user!._id }).lean();
  const inCart = count({}, user!.cart.items);
  const ordered = orders.reduce((sum, order) => count(sum, order.lines), {} as Quantities);
  const problems = Object.entries(added).flatMap(([productId, quantity]) => {
    const found = (inCart[productId] ?? 0) + (ordered[productId] ?? 0);
    return found === quantity
      ? []
      : [`${productId}: added ${quantity}, cart ${inCart[productId] ?? 0} + ordered ${ordered[productId] ?? 0}`];
  });
  return { problems, inCart, orders };
}

/** Per product, what its stock and every order of it (all shoppers) add up to: the starting stock. */
async function stockAccounts(): Promise<Quantities> {
  const orders = await Order.find().lean();
  const ordered = orders.reduce((sum, order) => count(sum, order.lines), {} as Quantities);
  const accounts: Quantities = {};
  for (const productId of Object.values(products)) {
    const stock = (await Product.findById(productId).lean())?.stock ?? NaN;
    accounts[productId] = stock + (ordered[productId] ?? 0);
  }
  return accounts;
}
const everyStockAccountedFor = () => ({ [products.mug]: STARTING_STOCK, [products.tea]: STARTING_STOCK });

describe.each(STEPS)('a server killed at %s of a checkout', (step) => {
  it.each(Object.keys(NEXT) as Array<keyof typeof NEXT>)(
    'then the shopper %s: every item is bought at most once, in the cart or an order, and the stock adds up',
    async (next) => {
      const email = (await createUser()).email;
      const client = new WebClient(shop!.url);
      await logIn(client, email);
      const added: Quantities = {};
      const add = async (productId: string) => {
        const page = await addToCart(client, productId);
        expect([page.status, page.location]).toEqual([302, '/cart']);
        added[productId] = (added[productId] ?? 0) + 1;
      };
      for (const productId of [products.mug, products.mug, products.tea]) await add(productId);

      // The checkout goes to a server that dies at `step`.
      if (!testServer.atomicUpdates) await shop!.stop();
      doomed = await ShopProcess.start({ databaseUri: database(), env: { FAULT_CRASH_AT: step } });
      await doomed.waitUntil('is ready', (status) => status === 200);
      // No answer: the connection dies with the process.
      const answer = await placeOrder(client.at(doomed.url)).then(
        (page) => `answered ${page.status}`,
        (err: Error) => err.message,
      );
      expect(answer).toMatch(/socket hang up|ECONNRESET/);
      expect(await doomed.exitWithin(10_000)).toEqual({ code: null, signal: 'SIGKILL' });

      // The shop (another process, or the same after a restart) serves the shopper's next request
      // at once: nothing the dead process held is waited for.
      if (!testServer.atomicUpdates) {
        await shop!.restart();
        await shop!.waitUntil('is ready', (status) => status === 200);
      }
      const startedAt = Date.now();
      const page: Page = await NEXT[next](client);
      const tookMs = Date.now() - startedAt;
      expect(page.status).toBeLessThan(400);
      expect(tookMs).toBeLessThan(8000);
      if (next === 'adds another item') added[products.tea] = (added[products.tea] ?? 0) + 1;
      // The interrupted order, if it was written, is settled now: nothing ordered is still in the cart.
      const afterNext = await reconcile(email, added);
      expect(afterNext.problems).toEqual([]);
      expect(afterNext.orders.filter((order) => !order.cartSettled || order.stockState !== 'taken')).toEqual([]);
      expect(await stockAccounts()).toEqual(everyStockAccountedFor());

      // And shopping goes on: whatever is in the cart now is ordered once, and nothing else.
      await add(products.mug);
      const final = await placeOrder(client);
      expect(sentToPay(final)).toBe(true);
      const end = await reconcile(email, added);
      expect({ problems: end.problems, cart: end.inCart }).toEqual({ problems: [], cart: {} });
      expect(await stockAccounts()).toEqual(everyStockAccountedFor());
      console.log(`${step}, then ${next}: answered in ${tookMs} ms, ${end.orders.length} order(s)`);
    },
    90_000,
  );
});
