import { trusted } from 'mongoose';
import { exclusive } from '../db';
import { crashPoint } from '../lib/faults';
import { HttpError } from '../lib/HttpError';
import { Order, type OrderDocument, type OrderLine } from '../models/Order';
import { Product } from '../models/Product';
import { forgetStockMoves, returnStock, takeStock, untakeStock } from '../models/stock';

/** A line wanted, and how many of its product are left. */
export interface StockedLine {
  title: string;
  quantity: number;
  stock: number;
}

/** The lines that want more than is left, in words ("“Mug”: only 1 left, your cart has 2."). */
export function shortLinesOf(lines: StockedLine[]): string[] {
  return lines
    .filter((line) => line.quantity > line.stock)
    .map((line) =>
      line.stock <= 0
        ? `“${line.title}” is out of stock.`
        : `“${line.title}”: only ${line.stock} left, your cart has ${line.quantity}.`,
    );
}

/** Some lines want more than is left: nothing was ordered, and the message says which. */
export class ShortStockError extends HttpError {
  constructor(readonly short: string[]) {
    super(409, `Not enough in stock, so nothing was ordered. ${short.join(' ')}`);
  }
}

/** A ShortStockError naming the order's lines that are short now (a deleted product has none left). */
export async function shortStockErrorFor(lines: OrderLine[]): Promise<ShortStockError> {
  const products = await Product.find({ _id: trusted({ $in: lines.map((line) => line.productId) }) }).select('stock');
  const stockOf = (line: OrderLine) => products.find((p) => p._id.equals(line.productId))?.stock ?? 0;
  const short = shortLinesOf(
    lines.map((line) => ({ title: line.title, quantity: line.quantity, stock: stockOf(line) })),
  );
  // Another order took the last ones and gave some back since: still, this one found too few.
  return new ShortStockError(short.length > 0 ? short : ['Another order took what was left; please try again.']);
}

/** How an order's stock move ended: it stands (its stock taken, or given back), or it is void. */
export type StockOutcome = 'stands' | 'void';

async function takeFor(order: OrderDocument): Promise<StockOutcome> {
  const id = order._id.toString();
  let short = false;
  for (const line of order.lines) {
    if (!(await takeStock(line.productId, id, line.quantity))) {
      short = true;
      break;
    }
    crashPoint('checkout:stock-taking');
  }
  if (short) {
    // Every line taken so far goes back; an order that could not be stocked is not made.
    for (const line of order.lines) await untakeStock(line.productId, id, line.quantity);
    await Order.deleteOne({ _id: order._id, stockState: 'taking' });
    return 'void';
  }
  crashPoint('checkout:stock-taken');
  await Order.updateOne({ _id: order._id, stockState: 'taking' }, { $set: { stockState: 'taken' } });
  await forgetStockMoves(
    order.lines.map((line) => line.productId),
    id,
  );
  return 'stands';
}

async function returnFor(order: OrderDocument): Promise<StockOutcome> {
  const id = order._id.toString();
  for (const line of order.lines) {
    await returnStock(line.productId, id, line.quantity);
    crashPoint('cancel:stock-returning');
  }
  await Order.updateOne({ _id: order._id, stockState: 'returning' }, { $set: { stockState: 'returned' } });
  await forgetStockMoves(
    order.lines.map((line) => line.productId),
    id,
  );
  return 'stands';
}

/**
 * Completes the order's pending stock move, whoever calls it (the checkout that wrote it, or the
 * next request of its customer after a crash) and however often: an order `taking` takes every
 * line or, if one falls short, gives back what it took and is deleted; an order `returning` gives
 * every line back. The per-product markers make each product's move happen once; holding the
 * order's lock keeps two requests from moving one order's stock at the same time (the markers are
 * forgotten at the end, which would let an interleaved retry take twice).
 */
export function finishStockMove(orderId: OrderDocument['_id']): Promise<StockOutcome> {
  return exclusive(`stock:order:${orderId.toString()}`, async () => {
    const order = await Order.findById(orderId);
    if (!order) return 'void';
    if (order.stockState === 'taking') return takeFor(order);
    if (order.stockState === 'returning') return returnFor(order);
    return 'stands';
  });
}
