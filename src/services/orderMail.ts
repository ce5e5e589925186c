import { formatPrice } from '../lib/money';
import { lineTotal, orderNumber, type OrderDocument } from '../models/Order';

/** The mail that tells a customer their order is placed: its number, lines, total and page. */
export function orderPlacedMail(order: OrderDocument, appUrl: string) {
  const number = orderNumber(order);
  const lines = order.lines.map(
    (line) => `  ${line.quantity} × ${line.title} at ${formatPrice(line.priceCents)}: ${formatPrice(lineTotal(line))}`,
  );
  return {
    subject: `Your Fernhill Goods order ${number} is placed`,
    text: [
      `Thank you! Your order ${number} is placed:`,
      '',
      ...lines,
      '',
      `Total: ${formatPrice(order.totalCents)}`,
      '',
      `See it, or cancel it while it has not shipped: ${appUrl}/orders/${order._id.toString()}`,
    ].join('\n'),
  };
}
