/**
 * Load test: `npm run load [-- --duration 60 --users 50 --instances 2] [--record | --report <file>]`.
 *
 * Starts the built shop (`node dist/server.js`, as `npm start` runs it) as several instances on
 * 127.0.0.1 over one fresh database on MONGODB_URI's server. Logged-in users browse, add to their
 * carts and order for a fixed time, each request going to an instance picked at random (as a
 * balancer without sticky sessions would). Then it reconciles the database with every answer the
 * users got, writes a report and exits non-zero on any 5xx, network error, mismatch or lost session.
 * The report goes to test-results/load.md (git-ignored); `--record` replaces the recorded one,
 * reports/load.md, on purpose.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import mongoose from 'mongoose';
import { detectCapabilities } from '../src/db/capabilities';
import * as prettier from 'prettier';
import { isDatabaseUnavailable } from '../src/db';
import { Product } from '../src/models/Product';
import { User } from '../src/models/User';
import { freshDatabaseUri } from '../support/database';
import { ShopProcess } from '../support/shopProcess';
import { logIn, signUp } from '../support/shopFlows';
import { Shopper, reconcile } from '../support/shopper';
import { WebClient, type Page } from '../support/webClient';

const ROOT = path.resolve(__dirname, '..');
const PRODUCTS = 24;
/** The stock of the first product: a few units, which many users race for. */
const SCARCE_STOCK = 3;
const PLENTY = 100_000;

const { values: args } = parseArgs({
  options: {
    duration: { type: 'string', default: '60' },
    users: { type: 'string', default: '50' },
    instances: { type: 'string', default: '2' },
    record: { type: 'boolean', default: false },
    report: { type: 'string' },
  },
});
const RECORDED_REPORT = path.join(ROOT, 'reports', 'load.md');
const reportFile = args.report ?? (args.record ? RECORDED_REPORT : path.join(ROOT, 'test-results', 'load.md'));
const durationS = Number(args.duration);
const userCount = Number(args.users);
const instanceCount = Number(args.instances);
for (const [name, value, max] of [
  ['--duration', durationS, 600],
  ['--users', userCount, 500],
  ['--instances', instanceCount, 8],
] as const) {
  if (!Number.isInteger(value) || value < 1 || value > max) {
    console.error(`${name} must be a whole number from 1 to ${max}`);
    process.exit(2);
  }
}

interface Sample {
  route: string;
  status: number | string;
  ms: number;
}

const samples: Sample[] = [];
const pick = <T>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)]!;

async function timed(route: string, request: Promise<Page>): Promise<Page | undefined> {
  const started = performance.now();
  try {
    const page = await request;
    samples.push({ route, status: page.status, ms: page.ms });
    return page;
  } catch (err) {
    samples.push({ route, status: (err as NodeJS.ErrnoException).code ?? 'error', ms: performance.now() - started });
    return undefined;
  }
}

/** One user's session of shopping until `deadline`: one request at a time, like a person. */
async function shop(shopper: Shopper, clients: WebClient[], productIds: string[], scarceId: string, deadline: number) {
  while (Date.now() < deadline) {
    shopper.client = pick(clients);
    const roll = Math.random();
    if (roll < 0.3)
      await timed('GET /products', shopper.client.get(`/products?page=${1 + Math.floor(Math.random() * 3)}`));
    else if (roll < 0.45) await timed('GET /products/:id', shopper.client.get(`/products/${pick(productIds)}`));
    else if (roll < 0.75) {
      const productId = pick(productIds);
      const page = await timed('POST /cart', shopper.addToCart(productId));
      // Out of stock also redirects to the cart, with a message saying so: the page it redirects
      // to tells (other adds' confirmations may wait there too), and the shopper's record follows.
      if (productId === scarceId && page?.status === 302) {
        const cart = await timed('GET /cart', shopper.client.get('/cart'));
        if (cart?.text.includes('so it was not added to your cart')) shopper.forgetAdd(productId);
      }
    } else if (roll < 0.85) await timed('GET /cart', shopper.client.get('/cart'));
    else if (roll < 0.92 && shopper.hasItems) {
      const page = await timed('POST /checkout', shopper.placeOrder());
      // Refused (the scarce product ran out): the shopper gives up on it, as a person would.
      if (page?.location === '/cart' && shopper.cart[scarceId])
        await timed('POST /cart-delete-item', shopper.removeFromCart(scarceId));
    } else await timed('GET /orders', shopper.client.get('/orders'));
  }
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

const isError = (status: number | string) => typeof status === 'string' || status >= 500;

function table(rows: string[][]): string {
  const [head, ...body] = rows;
  return [
    `| ${head!.join(' | ')} |`,
    `|${head!.map(() => ' --- |').join('')}`,
    ...body.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');
}

function latencyRows(): string[][] {
  const routes = [...new Set(samples.map((sample) => sample.route))].sort();
  const row = (name: string, of: Sample[]) => {
    const ms = of.map((sample) => sample.ms).sort((a, b) => a - b);
    const errors = of.filter((sample) => isError(sample.status)).length;
    return [name, String(of.length), String(errors), percentile(ms, 50).toFixed(1), percentile(ms, 99).toFixed(1)];
  };
  return [
    ['Route', 'Requests', '5xx / network errors', 'p50 ms', 'p99 ms'],
    ...routes.map((route) =>
      row(
        route,
        samples.filter((sample) => sample.route === route),
      ),
    ),
    row('**all**', samples),
  ];
}

function statusRows(): string[][] {
  const counts = new Map<string, number>();
  for (const { status } of samples) counts.set(String(status), (counts.get(String(status)) ?? 0) + 1);
  return [['Status', 'Count'], ...[...counts].sort().map(([status, count]) => [status, String(count)])];
}

async function databaseVersion(): Promise<string> {
  const info = await mongoose.connection.db!.admin().command({ buildInfo: 1 });
  return 'ferretdbVersion' in info ? `FerretDB ${String(info.ferretdbVersion)}` : `MongoDB ${String(info.version)}`;
}

async function main() {
  const base = process.env.MONGODB_URI;
  if (!base) {
    console.error('MONGODB_URI is not set: start a database (e.g. `export MONGODB_URI=$(scripts/test-db.sh start)`).');
    process.exit(2);
  }
  const databaseUri = freshDatabaseUri(base, 'shop_load');
  try {
    await mongoose.connect(databaseUri, { serverSelectionTimeoutMS: 5000 });
  } catch (err) {
    if (!isDatabaseUnavailable(err)) throw err;
    console.error(`No database answers at ${base} (MONGODB_URI): start one, e.g. \`scripts/test-db.sh start\`.`);
    process.exit(2);
  }
  const capabilities = await detectCapabilities(mongoose.connection.db!);
  if (!capabilities.atomicUpdates && instanceCount > 1) {
    // The shop itself refuses the second instance there (src/db/soleInstance.ts); say so up front.
    console.error(
      `This database (${capabilities.server}) does not apply updates atomically, so the shop runs as one ` +
        'instance on it and a second refuses to start: run `npm run load -- --instances 1`, or point ' +
        'MONGODB_URI at MongoDB (or mongo-java-server) for several.',
    );
    await mongoose.disconnect();
    process.exit(2);
  }
  const servers: ShopProcess[] = [];
  try {
    const seller = await User.create({ email: 'load-seller@example.com', password: 'not-a-login' });
    const products = await Product.insertMany(
      Array.from({ length: PRODUCTS }, (_, i) => ({
        title: `Load product ${i + 1}`,
        priceCents: 100 + i,
        description: 'A product for the load test.',
        imageUrl: '/images/mug.svg',
        userId: seller._id,
        // One product nearly sold out, which the users race for; the others never run out.
        stock: i === 0 ? SCARCE_STOCK : PLENTY,
      })),
    );
    const productIds = products.map((product) => product.id as string);

    // Every user comes from 127.0.0.1: the per-network limits are lifted as far as the users need.
    const env = {
      MONGODB_TIMEOUT_MS: '3000',
      LOG_LEVEL: 'warn',
      SIGNUP_MAX_PER_HOUR: String(userCount + 10),
      PASSWORD_CHECKS_PER_NETWORK: String(userCount),
    };
    servers.push(
      ...(await Promise.all(
        Array.from({ length: instanceCount }, () =>
          ShopProcess.start({ databaseUri, env, mode: 'dist', until: 'healthy' }),
        ),
      )),
    );
    console.log(`${instanceCount} instances up: ${servers.map((server) => server.url).join(', ')}`);

    // One keep-alive pool per instance, shared by every user (as a reverse proxy holds connections).
    // Idle connections are dropped after 4 s, before the server's 5 s keep-alive timeout closes them:
    // else a request sent as the server closes its idle connection meets a reset (a client race).
    const agents = servers.map(() => new http.Agent({ keepAlive: true, maxSockets: userCount, timeout: 4_000 }));
    const shoppers: Array<{ shopper: Shopper; clients: WebClient[]; outboxDir: string }> = [];
    for (let i = 0; i < userCount; i += 1) {
      const home = servers[i % servers.length]!;
      const first = new WebClient(home.url, { agent: agents[i % servers.length]! });
      const clients = servers.map((server, n) => first.at(server.url, { agent: agents[n]! }));
      const shopper = new Shopper(`load-${i}-${randomBytes(3).toString('hex')}@example.com`, first);
      shoppers.push({ shopper, clients, outboxDir: home.outboxDir });
    }
    await Promise.all(
      shoppers.map(async ({ shopper, outboxDir }) => {
        await signUp(shopper.client, shopper.email, outboxDir);
        await logIn(shopper.client, shopper.email);
      }),
    );
    console.log(`${userCount} users signed up and logged in; shopping for ${durationS} s...`);

    const loadBefore = os.loadavg()[0]!;
    const started = Date.now();
    const deadline = started + durationS * 1000;
    await Promise.all(
      shoppers.map(({ shopper, clients }) => shop(shopper, clients, productIds, productIds[0]!, deadline)),
    );
    const elapsedS = (Date.now() - started) / 1000;

    // Reconcile: the database against every answer the users got.
    const mismatches = await reconcile(shoppers.map(({ shopper }) => shopper));
    // Stock: what is left plus what the orders hold is what there was, for every product.
    const orderedOf = new Map<string, number>();
    for (const { shopper } of shoppers)
      for (const order of shopper.orders)
        for (const [productId, quantity] of Object.entries(order))
          orderedOf.set(productId, (orderedOf.get(productId) ?? 0) + quantity);
    const stockNow = await Product.find().select('stock').lean();
    for (const product of stockNow) {
      const id = product._id.toString();
      const had = id === productIds[0] ? SCARCE_STOCK : PLENTY;
      const ordered = orderedOf.get(id) ?? 0;
      if (product.stock + ordered !== had || product.stock < 0)
        mismatches.push(`stock of ${id}: ${product.stock} left + ${ordered} ordered, but there were ${had}`);
    }
    const scarceSold = orderedOf.get(productIds[0]!) ?? 0;
    const lostSessions: string[] = [];
    for (const { shopper, clients } of shoppers) {
      for (const client of clients) {
        const account = await client.get('/account').catch(() => undefined);
        if (account?.status !== 200) lostSessions.push(`${shopper.email} on ${client.baseUrl}: ${account?.status}`);
      }
    }
    const ordersPlaced = shoppers.reduce((sum, { shopper }) => sum + shopper.orders.length, 0);
    const itemsInCarts = shoppers.reduce(
      (sum, { shopper }) => sum + Object.values(shopper.cart).reduce((a, b) => a + b, 0),
      0,
    );
    const errors = samples.filter((sample) => isError(sample.status)).length;
    const serverProblems = servers.flatMap((server) =>
      server
        .logEntries()
        .filter((entry) => entry.level >= 50)
        .map((entry) => `${server.url}: ${entry.msg}`),
    );
    const passed = errors === 0 && mismatches.length === 0 && lostSessions.length === 0;

    const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
    const report = [
      '# Load test',
      '',
      `Generated by \`npm run load -- --duration ${durationS} --users ${userCount} --instances ${instanceCount}${args.record ? ' --record' : ''}\`.`,
      '',
      `- Date: ${new Date().toISOString()}`,
      `- Machine: ${os.availableParallelism()} cores (\`nproc\`), ${cpu}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB memory; ` +
        `load average ${loadBefore.toFixed(2)} before the run (everything shares these cores: the load generator, the instances, the database)`,
      `- Node ${process.version}; database: ${await databaseVersion()} on 127.0.0.1`,
      `- ${instanceCount} instances of \`node dist/server.js\` on 127.0.0.1 over one database (NODE_ENV=test, BCRYPT_COST=4), each request to an instance picked at random`,
      `- ${userCount} logged-in users, one request at a time each, for ${elapsedS.toFixed(1)} s: ` +
        '30% product pages, 15% product details, 30% add to cart, 10% cart, 7% order (when the cart has items), the rest orders page',
      '',
      `**${samples.length} requests, ${(samples.length / elapsedS).toFixed(1)} per second; ${errors} 5xx or network errors.**`,
      '',
      table(latencyRows()),
      '',
      table(statusRows()),
      '',
      '## Reconciliation',
      '',
      `- Orders: ${ordersPlaced} successful order requests; the database holds exactly those orders, with exactly their items: ${mismatches.some((m) => m.includes('orders')) ? 'NO' : 'yes'}`,
      `- Carts: ${itemsInCarts} items added and not ordered; every cart holds exactly that: ${mismatches.some((m) => m.includes('cart')) ? 'NO' : 'yes'}`,
      `- Stock: ${scarceSold} of the ${SCARCE_STOCK} units of the scarce product sold; for every product, what is left plus what the orders hold is what there was: ${mismatches.some((m) => m.startsWith('stock')) ? 'NO' : 'yes'}`,
      `- Sessions: ${shoppers.length * servers.length - lostSessions.length} of ${shoppers.length * servers.length} (user × instance) still logged in`,
      `- Server log lines at error level or above: ${serverProblems.length}`,
      ...[...mismatches, ...lostSessions, ...serverProblems.slice(0, 20)].map((line) => `  - ${line}`),
      '',
      `Result: **${passed ? 'PASS' : 'FAIL'}** (the bar: zero 5xx or network errors, zero mismatches, no lost session).`,
      '',
    ].join('\n');
    fs.mkdirSync(path.dirname(reportFile), { recursive: true });
    // Formatted as `npm run lint` (prettier --check) expects of every file in the repository.
    const style = await prettier.resolveConfig(reportFile);
    fs.writeFileSync(reportFile, await prettier.format(report, { ...style, parser: 'markdown' }));
    console.log(`\n${report}\nReport written to ${path.relative(process.cwd(), reportFile)}`);
    process.exitCode = passed ? 0 : 1;
  } finally {
    await Promise.all(servers.map((server) => server.stop()));
    await mongoose.connection.dropDatabase().catch(() => {});
    await mongoose.disconnect();
  }
}

main().catch((err: unknown) => {
  // A run that could not go on (a signup refused, a server that did not start) says so in a
  // sentence, and leaves a report saying what it got through.
  const reason = err instanceof Error ? err.message : String(err);
  const answered = samples.length;
  const report = [
    '# Load test',
    '',
    `Result: **FAIL**: the run stopped before its end: ${reason}`,
    '',
    `${answered} requests were answered before it stopped (${samples.filter((s) => isError(s.status)).length} 5xx or network errors).`,
    '',
  ].join('\n');
  fs.mkdirSync(path.dirname(reportFile), { recursive: true });
  fs.writeFileSync(reportFile, report);
  console.error(
    `The load test stopped before its end: ${reason}. Report written to ${path.relative(process.cwd(), reportFile)}`,
  );
  process.exit(1);
});
