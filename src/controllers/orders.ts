import type { RequestHandler } from 'express';
import { HttpError } from '../lib/HttpError';
import type { AfterResponse } from '../lib/afterResponse';
import type { SendMail } from '../lib/mailer';
import { redirectWith } from '../lib/flash';
import { safeReturnTo, signedInUser } from '../auth/access';
import { trusted } from 'mongoose';
import {
  ORDER_STATUSES,
  Order,
  STATUS_LABELS,
  lineTotal,
  orderNumber,
  type OrderDocument,
  type OrderStatus,
} from '../models/Order';
import type { PaymentFlow } from '../services/payments';
import { toPaymentPage } from './checkout';
import { invoicePdf, type Seller } from '../services/invoice';
import { changeOrderStatus, findVisibleOrder, nextStatuses } from '../services/orderStatus';
import { parsePageParam } from '../services/products';

export interface OrdersDependencies {
  sendMail: SendMail;
  seller: Seller;
  appUrl: string;
  payments: PaymentFlow;
}

/** The admins' payment filter: what each value finds. */
const PAYMENT_FILTERS: Record<string, Record<string, unknown>> = {
  awaiting: { status: 'awaiting_payment' },
  paid: { 'payment.paidAt': trusted({ $exists: true }), 'payment.refund': trusted({ $exists: false }) },
  failed: { status: 'payment_failed' },
  'refund-pending': { 'payment.refund.state': 'requested' },
  refunded: { 'payment.refund.state': 'refunded' },
  'not-online': { 'payment.provider': 'none' },
};
type PaymentFilter = keyof typeof PAYMENT_FILTERS;
const isPaymentFilter = (value: unknown): value is PaymentFilter =>
  typeof value === 'string' && Object.hasOwn(PAYMENT_FILTERS, value);

/** How an order's payment stands, in a few words (the admins' list, the order page). */
export function paymentStateOf(order: OrderDocument): string {
  const payment = order.payment;
  if (!payment || payment.provider === 'none') return 'not paid online (before payments)';
  if (payment.refund?.state === 'refunded') return 'refunded';
  if (payment.refund) return 'refund pending';
  if (payment.paidAt) return 'paid';
  if (order.status === 'payment_failed') return 'failed';
  return 'awaiting payment';
}

const ADMIN_ORDERS_PER_PAGE = 20;

const isStatus = (value: unknown): value is OrderStatus => ORDER_STATUSES.includes(value as OrderStatus);

/** What the customer is told when the shop moves their order. */
const STATUS_MAIL: Partial<Record<OrderStatus, string>> = {
  shipped: 'is on its way',
  cancelled: 'is cancelled',
};

export function ordersController({ sendMail, seller, appUrl, payments }: OrdersDependencies) {
  /** Mails the customer about their order, after the response: a failing mail server is logged, never an error page. */
  const tellCustomer = (later: AfterResponse, order: OrderDocument, news: string) => {
    const { email } = order;
    if (!email) return;
    const number = orderNumber(order);
    later(`could not mail the customer about their order ${number}`, () =>
      sendMail({
        to: email,
        subject: `Your Fernhill Goods order ${number} ${news}`,
        text: [`Your order ${number} ${news}.`, '', `See it here: ${appUrl}/orders/${order._id.toString()}`].join('\n'),
      }),
    );
  };

  /** @route GET /orders/:orderId — to its customer or an admin; 404 for anyone else. */
  const getOrder: RequestHandler = async (req, res) => {
    const user = signedInUser(req);
    const order = await findVisibleOrder(req.params.orderId, user);
    const isCustomer = order.userId?.equals(user._id) ?? false;
    const waiting = order.status === 'awaiting_payment';
    // Waiting for the provider's word: the page looks again by itself, as the customer would.
    if (waiting) res.set('Refresh', '5');
    res.set('Cache-Control', 'no-store');
    res.render('shop/order', {
      title: `Order ${orderNumber(order)}`,
      order,
      number: orderNumber(order),
      lineTotal,
      statusLabels: STATUS_LABELS,
      paymentState: paymentStateOf(order),
      canPay: isCustomer && waiting && Boolean(order.holdExpiresAt && order.holdExpiresAt > new Date()),
      isCustomer,
      canCancel:
        order.userId?.equals(user._id) && nextStatuses(order.status, { role: 'customer' }).includes('cancelled'),
    });
  };

  /** @route POST /orders/:orderId/cancel — by its customer, while it is still only placed. */
  const postCancelOrder: RequestHandler = async (req, res) => {
    const user = signedInUser(req);
    const order = await findVisibleOrder(req.params.orderId, user);
    if (!order.userId?.equals(user._id)) throw new HttpError(403, 'Only the customer may cancel their order here.');
    await changeOrderStatus(order, 'cancelled', { _id: user._id, email: user.email, role: 'customer' }, payments);
    tellCustomer(req.afterResponse, order, 'is cancelled');
    await redirectWith(req, res, `/orders/${order._id.toString()}`, {
      kind: 'success',
      text: order.payment?.paidAt
        ? `Order ${orderNumber(order)} is cancelled; your payment is being refunded.`
        : `Order ${orderNumber(order)} is cancelled.`,
    });
  };

  /** @route POST /orders/:orderId/pay — back to the provider's page, while the order holds its stock. */
  const postPayOrder: RequestHandler = async (req, res) => {
    const user = signedInUser(req);
    const order = await findVisibleOrder(req.params.orderId, user);
    if (!order.userId?.equals(user._id)) throw new HttpError(403, 'Only the customer may pay for their order.');
    if (order.status !== 'awaiting_payment' || !order.holdExpiresAt || order.holdExpiresAt <= new Date()) {
      return redirectWith(req, res, `/orders/${order._id.toString()}`, {
        kind: 'error',
        text: `Order ${orderNumber(order)} is ${STATUS_LABELS[order.status]}: there is nothing to pay.`,
      });
    }
    await toPaymentPage(req, res, order, payments);
  };

  /** @route GET /orders/:orderId/invoice — a PDF, with the same access rule as the order page. */
  const getInvoice: RequestHandler = async (req, res) => {
    const order = await findVisibleOrder(req.params.orderId, signedInUser(req));
    const pdf = await invoicePdf(order, seller);
    res.type('application/pdf');
    res.set('Content-Disposition', `inline; filename="invoice-${orderNumber(order)}.pdf"`);
    res.send(pdf);
  };

  /**
   * @route GET /admin/orders?status=…&payment=…&page=N — every order, newest first, optionally of
   * one status and one payment state (PAYMENT_FILTERS).
   */
  const getAdminOrders: RequestHandler = async (req, res) => {
    const { status, payment } = req.query;
    if (status !== undefined && !isStatus(status)) throw new HttpError(400, 'There is no such order status.');
    if (payment !== undefined && !isPaymentFilter(payment)) throw new HttpError(400, 'There is no such payment state.');
    const href = (page: number) => {
      const params = new URLSearchParams({
        ...(status ? { status } : {}),
        ...(payment ? { payment } : {}),
        ...(page > 1 ? { page: String(page) } : {}),
      });
      return params.size ? `/admin/orders?${params.toString()}` : '/admin/orders';
    };
    const page = parsePageParam(req.query.page);
    if (page === undefined) return res.redirect(href(1));
    const filter = { ...(payment ? PAYMENT_FILTERS[payment] : {}), ...(status ? { status } : {}) };
    const [total, orders] = await Promise.all([
      Order.countDocuments(filter),
      Order.find(filter)
        .sort({ createdAt: -1, _id: -1 })
        .skip((page - 1) * ADMIN_ORDERS_PER_PAGE)
        .limit(ADMIN_ORDERS_PER_PAGE),
    ]);
    const pageCount = Math.max(1, Math.ceil(total / ADMIN_ORDERS_PER_PAGE));
    if (page > pageCount) return res.redirect(href(pageCount));
    res.render('admin/orders', {
      title: 'Orders',
      orders: orders.map((order) => ({
        order,
        number: orderNumber(order),
        next: nextStatuses(order.status, { role: 'admin' }),
        paymentState: paymentStateOf(order),
      })),
      statuses: ORDER_STATUSES,
      statusLabels: STATUS_LABELS,
      paymentFilters: Object.keys(PAYMENT_FILTERS),
      payment,
      status,
      pagination: { page, pageCount },
      pageHref: href,
      currentUrl: href(page),
    });
  };

  /** @route POST /admin/orders/:orderId/status (`status`) */
  const postAdminOrderStatus: RequestHandler = async (req, res) => {
    const admin = signedInUser(req);
    const to: unknown = req.body?.status;
    if (!isStatus(to)) throw new HttpError(422, 'Choose a status for the order.');
    const order = await findVisibleOrder(req.params.orderId, admin);
    await changeOrderStatus(order, to, admin, payments);
    const news = STATUS_MAIL[to];
    if (news) tellCustomer(req.afterResponse, order, news);
    // Back to the list as the admin was viewing it (its filter and page), and nowhere else.
    const back = safeReturnTo(req.body?.back);
    await redirectWith(req, res, back.startsWith('/admin/orders') ? back : '/admin/orders', {
      kind: 'success',
      text: `Order ${orderNumber(order)} is now ${STATUS_LABELS[to]}.`,
    });
  };

  return { getOrder, postCancelOrder, postPayOrder, getInvoice, getAdminOrders, postAdminOrderStatus };
}
