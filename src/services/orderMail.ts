import { formatPrice } from '../lib/money';
import { lineTotal, orderNumber, type OrderDocument } from '../models/Order';

/** The order's lines, shipping and total, as a mail lists them. */
function summaryOf(order: OrderDocument): string[] {
  const lines = order.lines.map(
    (line) => `  ${line.quantity} × ${line.title} at ${formatPrice(line.priceCents)}: ${formatPrice(lineTotal(line))}`,
  );
  const shipping = order.shipping
    ? [`  Shipping (${order.shipping.method}): ${formatPrice(order.shipping.priceCents)}`]
    : [];
  return [...lines, ...shipping, '', `Total: ${formatPrice(order.totalCents)}`];
}

const linkTo = (order: OrderDocument, appUrl: string) => `${appUrl}/orders/${order._id.toString()}`;

/** The payment went through: the order is the customer's, and it will ship. */
export function paymentReceivedMail(order: OrderDocument, appUrl: string) {
  const number = orderNumber(order);
  const address = order.address
    ? [
        '',
        'It goes to:',
        ...[
          order.address.name,
          order.address.line1,
          order.address.line2,
          `${order.address.postcode} ${order.address.city}`,
          order.address.country,
        ]
          .filter(Boolean)
          .map((part) => `  ${part}`),
      ]
    : [];
  return {
    subject: `Payment received for your Fernhill Goods order ${number}`,
    text: [
      `Thank you! We received your payment for order ${number}:`,
      '',
      ...summaryOf(order),
      ...address,
      '',
      `See it, or cancel it while it has not shipped: ${linkTo(order, appUrl)}`,
    ].join('\n'),
  };
}

/** The payment was declined, or its time ran out: nothing was charged, and the items are back in the cart. */
export function paymentFailedMail(order: OrderDocument, reason: string, appUrl: string) {
  const number = orderNumber(order);
  return {
    subject: `Your payment for Fernhill Goods order ${number} did not go through`,
    text: [
      `Your payment for order ${number} did not go through: ${reason}`,
      '',
      `Nothing was charged, and your items are back in your cart: ${appUrl}/cart`,
      '',
      `The order: ${linkTo(order, appUrl)}`,
    ].join('\n'),
  };
}

/** The provider confirmed the refund. */
export function refundMadeMail(order: OrderDocument, appUrl: string) {
  const number = orderNumber(order);
  const amount = formatPrice(order.payment?.refund?.amountCents ?? order.totalCents);
  const why =
    order.payment?.refund?.reason === 'late'
      ? 'Your payment arrived after the order had been released, so we did not keep it.'
      : `Your order ${number} is cancelled.`;
  return {
    subject: `Refund made for your Fernhill Goods order ${number}`,
    text: [
      why,
      '',
      `We refunded ${amount} to the card you paid with; your bank may take a few days to show it.`,
      '',
      `The order: ${linkTo(order, appUrl)}`,
    ].join('\n'),
  };
}
