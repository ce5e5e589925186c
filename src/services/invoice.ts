import { dateFormats } from '../lib/dates';
import PDFDocument from 'pdfkit';
import { formatPrice } from '../lib/money';
import { STATUS_LABELS, lineTotal, orderNumber, type OrderDocument, type OrderPayment } from '../models/Order';

const PROVIDER_NAMES: Record<OrderPayment['provider'], string> = {
  'test-pay': 'Fernhill Test Pay',
  stripe: 'Stripe',
  none: 'none',
};

export interface Seller {
  name: string;
  address: string;
  /** Where the shop is: the invoice's date is the day there. */
  timeZone: string;
}

const MARGIN = 56;
const COLUMNS = { item: MARGIN, quantity: 330, unit: 390, total: 470 };

/**
 * The order's invoice as a PDF (A4): seller, number, date, customer, delivery address, payment
 * reference, every line, shipping, the total.
 */
export function invoicePdf(order: OrderDocument, seller: Seller): Promise<Buffer> {
  const doc = new PDFDocument({ size: 'A4', margin: MARGIN, info: { Title: `Invoice ${orderNumber(order)}` } });
  const chunks: Buffer[] = [];
  doc.on('data', (chunk: Buffer) => chunks.push(chunk));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });

  doc.font('Helvetica-Bold').fontSize(18).text(seller.name);
  doc.font('Helvetica').fontSize(10).text(seller.address);
  doc.moveDown(2);
  doc
    .font('Helvetica-Bold')
    .fontSize(14)
    .text(`Invoice ${orderNumber(order)}`);
  doc.font('Helvetica').fontSize(10);
  doc.text(`Date: ${dateFormats(seller.timeZone).formatDate(order.createdAt)}`);
  doc.text(`Customer: ${order.email ?? '(account deleted)'}`);
  if (order.address) {
    const { name, line1, line2, postcode, city, country } = order.address;
    doc.text(`Deliver to: ${[name, line1, line2, `${postcode} ${city}`, country].filter(Boolean).join(', ')}`);
  }
  doc.text(`Status: ${STATUS_LABELS[order.status]}`);
  if (order.payment?.id) doc.text(`Payment: ${PROVIDER_NAMES[order.payment.provider]}, reference ${order.payment.id}`);
  else if (order.payment?.provider === 'none') doc.text('Payment: not paid online');
  doc.moveDown(1.5);

  const row = (item: string, quantity: string, unit: string, total: string, bold = false) => {
    const y = doc.y;
    doc.font(bold ? 'Helvetica-Bold' : 'Helvetica');
    doc.text(item, COLUMNS.item, y, { width: COLUMNS.quantity - COLUMNS.item - 10 });
    const itemBottom = doc.y;
    doc.text(quantity, COLUMNS.quantity, y, { width: 50, align: 'right' });
    doc.text(unit, COLUMNS.unit, y, { width: 70, align: 'right' });
    doc.text(total, COLUMNS.total, y, { width: 70, align: 'right' });
    doc.x = MARGIN;
    doc.y = Math.max(itemBottom, doc.y) + 4;
  };
  row('Item', 'Qty', 'Unit price', 'Total', true);
  for (const line of order.lines) {
    row(line.title, String(line.quantity), formatPrice(line.priceCents), formatPrice(lineTotal(line)));
  }
  if (order.shipping) row(`Shipping (${order.shipping.method})`, '', '', formatPrice(order.shipping.priceCents));
  doc.moveDown(0.5);
  row('Order total', '', '', formatPrice(order.totalCents), true);
  doc.end();
  return done;
}
