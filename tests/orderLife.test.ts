import request from 'supertest';
import { Order, orderNumber } from '../src/models/Order';
import { pdfText } from '../support/pdfText';
import { loggedInAdmin, loggedInAgent, type Agent } from './helpers/http';
import { waitForMails } from './helpers/outbox';
import { checkOutAndPay, postForm, someProduct } from './helpers/shop';
import { useTestApp } from './helpers/testApp';

const testApp = useTestApp({ SHOP_NAME: 'Fernhill Test Shop', SHOP_ADDRESS: '1 Test Lane, Testbury TE5 7ST' });
const app = () => testApp().app;

/** A customer who has ordered and paid for two mugs and a notebook; the order as stored. */
async function customerWithOrder() {
  const customer = await loggedInAgent(app());
  const mug = await someProduct({ title: 'Order Mug', priceCents: 1250 });
  const notebook = await someProduct({ title: 'Order Notebook', priceCents: 799 });
  await customer.user.mergeCart([
    { productId: mug._id, quantity: 2 },
    { productId: notebook._id, quantity: 1 },
  ]);
  await checkOutAndPay(customer.agent);
  const order = await Order.findOne({ userId: customer.user._id });
  if (order?.status !== 'paid') throw new Error('no order was paid');
  return { ...customer, order, path: `/orders/${order.id}` };
}

/** Posts a status change with a CSRF token from a page this agent may see. */
const setStatus = (agent: Agent, orderId: string, status: string) =>
  postForm(agent, `/admin/orders/${orderId}/status`, { status }, '/orders');

describe("an order's page", () => {
  it('shows its customer the lines, total, status and history; an admin too; nobody else', async () => {
    const { agent, order, path } = await customerWithOrder();
    const page = await agent.get(path);
    expect(page.status).toBe(200);
    expect(page.text).toContain(`Order ${orderNumber(order)}`);
    expect(page.text).toMatch(/Order Mug<\/td><td>\$12\.50<\/td><td>2<\/td><td>\$25\.00/);
    // $32.99 of items, $4.95 of standard shipping.
    expect(page.text).toMatch(/data-testid="order-total">\$37\.94/);
    expect(page.text).toMatch(/data-testid="order-status">paid/);
    expect(page.text).toMatch(
      /<strong>awaiting payment<\/strong>[\s\S]*by you[\s\S]*<strong>paid<\/strong>[\s\S]*by the payment service/,
    );
    expect(page.text).toMatch(
      /data-testid="order-address">Ada Lovelace<br>12 Analytical Row<br>N1 9GU London<br>United Kingdom/,
    );

    const admin = await loggedInAdmin(app());
    expect((await admin.agent.get(path)).status).toBe(200);
    const stranger = await loggedInAgent(app());
    expect((await stranger.agent.get(path)).status).toBe(404);
    expect((await stranger.agent.get(`${path}/invoice`)).status).toBe(404);
    expect((await stranger.agent.get('/orders/not-an-id')).status).toBe(404);
    expect((await request(app()).get(path)).headers.location).toBe('/login');
  });

  it('numbers orders FG-00001, FG-00002, … without two alike, even when placed at once', async () => {
    const orders = await Promise.all(Array.from({ length: 8 }, () => customerWithOrder()));
    const numbers = orders.map(({ order }) => order.number);
    expect(new Set(numbers).size).toBe(8);
    expect(orderNumber(orders[0]!.order)).toMatch(/^FG-\d{5}$/);
  });
});

describe('status changes', () => {
  it('goes paid → shipped → delivered by an admin, each kept in the history with who and when', async () => {
    const { agent, order, path, email } = await customerWithOrder();
    const admin = await loggedInAdmin(app());
    expect((await setStatus(admin.agent, order.id, 'shipped')).headers.location).toBe('/admin/orders');
    // The second mail: the first said the payment was received.
    expect((await waitForMails(email, 2))[1]).toContain(`Your order ${orderNumber(order)} is on its way.`);
    expect((await setStatus(admin.agent, order.id, 'delivered')).status).toBe(302);

    const stored = await Order.findById(order._id).lean();
    expect(stored?.status).toBe('delivered');
    expect(stored?.history.map((change) => [change.status, change.by.role, change.by.email])).toEqual([
      ['awaiting_payment', 'customer', email],
      ['paid', 'shop', null],
      ['shipped', 'admin', admin.email],
      ['delivered', 'admin', admin.email],
    ]);
    expect((await agent.get(path)).text).toMatch(/<strong>delivered<\/strong>[\s\S]*by the shop/);
    // Delivered is the end: not even an admin cancels it.
    const refused = await setStatus(admin.agent, order.id, 'cancelled');
    expect(refused.status).toBe(409);
    expect(refused.text).toContain('This order is delivered now, so it cannot be marked cancelled.');
  });

  it('lets the customer cancel while it is paid, not once it is shipped; never ship it', async () => {
    const first = await customerWithOrder();
    expect((await postForm(first.agent, `${first.path}/cancel`, {}, first.path)).headers.location).toBe(first.path);
    expect((await Order.findById(first.order._id))?.status).toBe('cancelled');

    const second = await customerWithOrder();
    expect((await setStatus(second.agent, second.order.id, 'shipped')).status).toBe(403);
    const admin = await loggedInAdmin(app());
    await setStatus(admin.agent, second.order.id, 'shipped');
    const late = await postForm(second.agent, `${second.path}/cancel`, {}, second.path);
    expect(late.status).toBe(409);
    expect((await Order.findById(second.order._id))?.status).toBe('shipped');
    // An admin may still cancel a shipped order (it came back).
    expect((await setStatus(admin.agent, second.order.id, 'cancelled')).status).toBe(302);
  });

  it('lets one of two admins acting at once win; the other gets a 409 that says why', async () => {
    const [alice, bob] = [await loggedInAdmin(app()), await loggedInAdmin(app())];
    const tokens = await Promise.all([alice, bob].map(async ({ agent }) => agent.get('/admin/orders')));
    const csrf = (html: string) => /name="_csrf" value="([^"]+)"/.exec(html)?.[1];
    const { order: contested } = await customerWithOrder();
    const results = await Promise.all(
      [alice, bob].map(({ agent }, i) =>
        agent
          .post(`/admin/orders/${contested.id}/status`)
          .type('form')
          .send({ _csrf: csrf(tokens[i]!.text), status: 'shipped' }),
      ),
    );
    expect(results.map((response) => response.status).sort()).toEqual([302, 409]);
    expect(results.find((response) => response.status === 409)?.text).toContain('This order is shipped now');
    const history = (await Order.findById(contested._id).lean())?.history.map((change) => change.status);
    expect(history).toEqual(['awaiting_payment', 'paid', 'shipped']);
  });

  it('refuses an unknown status with 422 and a customer on the admin routes with 403', async () => {
    const { order, agent } = await customerWithOrder();
    const admin = await loggedInAdmin(app());
    expect((await setStatus(admin.agent, order.id, 'teleported')).status).toBe(422);
    expect((await agent.get('/admin/orders')).status).toBe(403);
  });
});

describe("the admins' list of orders", () => {
  it('lists every order newest first, filtered by status, with links that keep the filter', async () => {
    const paid = await customerWithOrder();
    const shipped = await customerWithOrder();
    const admin = await loggedInAdmin(app());
    await setStatus(admin.agent, shipped.order.id, 'shipped');

    const all = (await admin.agent.get('/admin/orders')).text;
    expect(all.indexOf(orderNumber(shipped.order))).toBeLessThan(all.indexOf(orderNumber(paid.order)));
    const onlyShipped = (await admin.agent.get('/admin/orders?status=shipped')).text;
    expect(onlyShipped).toContain(orderNumber(shipped.order));
    expect(onlyShipped).not.toContain(orderNumber(paid.order));
    expect(onlyShipped).toContain('name="back" value="/admin/orders?status=shipped"');
    expect((await admin.agent.get('/admin/orders?status=lost')).status).toBe(400);
    // An operator in the query is a plain key under Express 5's flat parsing: the unfiltered list.
    expect((await admin.agent.get('/admin/orders?status[$ne]=x')).text).toContain(orderNumber(paid.order));
  });
});

describe('the invoice', () => {
  it('is a PDF with the shop, the number, the date, the customer, the address, every line, shipping, the total and the payment reference', async () => {
    const { agent, order, path, email } = await customerWithOrder();
    const invoice = await agent
      .get(`${path}/invoice`)
      .buffer(true)
      .parse((res, done) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => done(null, Buffer.concat(chunks)));
      });
    expect(invoice.status).toBe(200);
    expect(invoice.headers['content-type']).toBe('application/pdf');
    expect(invoice.headers['content-disposition']).toBe(`inline; filename="invoice-${orderNumber(order)}.pdf"`);

    const text = await pdfText(invoice.body as Buffer);
    const lines = text.split('\n').map((line) => line.trim());
    expect(lines).toEqual(
      expect.arrayContaining([
        'Fernhill Test Shop',
        '1 Test Lane, Testbury TE5 7ST',
        `Invoice ${orderNumber(order)}`,
        `Date: ${order.createdAt.toISOString().slice(0, 10)}`,
        `Customer: ${email}`,
        'Deliver to: Ada Lovelace, 12 Analytical Row, N1 9GU London, United Kingdom',
        `Payment: Fernhill Test Pay, reference ${order.payment!.id!}`,
      ]),
    );
    expect(text).toMatch(/Order Mug\s+2\s+\$12\.50\s+\$25\.00/);
    expect(text).toMatch(/Order Notebook\s+1\s+\$7\.99\s+\$7\.99/);
    expect(text).toMatch(/Shipping \(standard\)\s+\$4\.95/);
    expect(text).toMatch(/Order total\s+\$37\.94/);
  });
});
