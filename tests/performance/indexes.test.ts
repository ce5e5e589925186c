/**
 * Every query the app makes has an index to use: each query's index exists (listIndexes), and
 * where the server's query planner can say so (explain on MongoDB), the query uses it. FerretDB
 * 1.x answers explain with SQLite's own plan, which cannot show an index being used, and
 * mongo-java-server has no explain. The product count on /products is estimatedDocumentCount:
 * collection metadata, no query to plan.
 */
import mongoose, { type mongo } from 'mongoose';
import { Order } from '../../src/models/Order';
import { Product } from '../../src/models/Product';
import { Passkey } from '../../src/models/Passkey';
import { User } from '../../src/models/User';
import { itWhereServerHas } from '../helpers/server';
import { useTestApp } from '../helpers/testApp';

const testApp = useTestApp();

interface IndexedQuery {
  name: string;
  collection: () => mongo.Collection;
  filter: mongo.Document;
  sort?: mongo.Sort;
  /** The index key the query needs. */
  key: Record<string, 1 | -1>;
}

const oid = () => new mongoose.Types.ObjectId();
const sessions = () => testApp().store.collection as unknown as mongo.Collection;

const QUERIES: IndexedQuery[] = [
  {
    name: 'log in: a user by email',
    collection: () => User.collection,
    filter: { email: 'a@example.com' },
    key: { email: 1 },
  },
  { name: 'every request: the user by id', collection: () => User.collection, filter: { _id: oid() }, key: { _id: 1 } },
  {
    name: 'the shop: products, newest first',
    collection: () => Product.collection,
    filter: {},
    sort: { createdAt: -1, _id: -1 },
    key: { createdAt: -1, _id: -1 },
  },
  {
    name: 'shop: one category, newest first',
    collection: () => Product.collection,
    filter: { category: 'kitchen' },
    sort: { createdAt: -1, _id: -1 },
    key: { category: 1, createdAt: -1, _id: -1 },
  },
  {
    name: 'shop: a search for two words',
    collection: () => Product.collection,
    filter: { searchTerms: { $all: ['stone', 'mug'] } },
    key: { searchTerms: 1 },
  },
  {
    name: "orders: a user's orders, newest first",
    collection: () => Order.collection,
    filter: { userId: oid() },
    sort: { createdAt: -1 },
    key: { userId: 1, createdAt: -1 },
  },
  {
    name: 'admin: the accounts, newest first',
    collection: () => User.collection,
    filter: {},
    sort: { createdAt: -1, _id: -1 },
    key: { createdAt: -1, _id: -1 },
  },
  {
    name: "admin: a page of users' live sessions",
    collection: sessions,
    // Sealed sessions name their user in `user` (an HMAC of the id, see the store's codec.ts).
    filter: { user: { $in: [String(oid()), String(oid())] }, expires: { $gt: new Date() } },
    key: { user: 1 },
  },
  {
    name: 'every request: the session by id',
    collection: sessions,
    filter: { _id: 'some-session-id' },
    key: { _id: 1 },
  },
  {
    name: "account: a user's sessions",
    collection: sessions,
    filter: { user: String(oid()), expires: { $gt: new Date() } },
    key: { user: 1 },
  },
  {
    name: 'passkey sign-in: a passkey by credential id',
    collection: () => Passkey.collection,
    filter: { credentialId: 'AAAAAAAAAAAAAAAAAAAAAA' },
    key: { credentialId: 1 },
  },
  {
    name: "account: a user's passkeys",
    collection: () => Passkey.collection,
    filter: { userId: oid() },
    key: { userId: 1 },
  },
  {
    name: 'sweeping expired sessions',
    collection: sessions,
    filter: { expires: { $lt: new Date() } },
    key: { expires: 1 },
  },
];

/** Every `stage` named anywhere in an explain plan (classic and slot-based engines nest differently). */
function stagesOf(plan: unknown, found: string[] = []): string[] {
  if (Array.isArray(plan)) plan.forEach((item) => stagesOf(item, found));
  else if (plan && typeof plan === 'object') {
    for (const [key, value] of Object.entries(plan)) {
      if (key === 'stage' && typeof value === 'string') found.push(value);
      else stagesOf(value, found);
    }
  }
  return found;
}

beforeAll(async () => {
  // Something to plan over: a collection that does not exist has no plan to show.
  const owner = await User.create({ email: 'owner@example.com', password: 'not a real hash' });
  await Product.create({
    title: 'Mug',
    priceCents: 900,
    description: 'A mug.',
    imageUrl: '/images/mug.svg',
    userId: owner._id,
  });
  await Order.create({ userId: owner._id, email: owner.email, lines: [], totalCents: 0, cartVersion: 1 });
  await Passkey.create({
    userId: owner._id,
    credentialId: 'indexed',
    publicKey: 'key',
    name: 'A key',
    createdAt: new Date(),
  });
  await sessions().insertOne({
    _id: 'indexed',
    session: {},
    expires: new Date(),
    createdAt: new Date(),
  } as mongo.Document);
});

it.each(QUERIES)('$name: has its index', async (query) => {
  const indexes = await query.collection().listIndexes().toArray();
  expect(indexes.map((index) => index.key as Record<string, unknown>)).toContainEqual(query.key);
});

itWhereServerHas('explain', 'its explain cannot show index use').each(QUERIES)(
  '$name: uses its index',
  async (query) => {
    const cursor = query.collection().find(query.filter);
    if (query.sort) cursor.sort(query.sort);
    const stages = stagesOf((await cursor.explain('queryPlanner')).queryPlanner);
    expect(stages).not.toContain('COLLSCAN');
    expect(stages.some((stage) => ['IXSCAN', 'EXPRESS_IXSCAN', 'IDHACK', 'COUNT_SCAN'].includes(stage))).toBe(true);
  },
);
