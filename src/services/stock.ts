import { trusted } from 'mongoose';
import { serialized } from '../db';
import { crashPoint } from '../lib/faults';
import { HttpError } from '../lib/HttpError';
import { Order, type OrderDocument, type OrderLine } from '../models/Order';
import { Product } from '../models/Product';
import { returnStock, takeStock, voidTake } from '../models/stock';

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

const orderKey = (order: OrderDocument) => `order:${order._id.toString()}`;

/**
 * The commit point of an order's stock: of everyone finishing it (the checkout that wrote it, the
 * customer's next request after a crash, a process that was paused meanwhile), the first to move
 * it on from `taking` decides, by a conditional update checked by its result. Resolves to the
 * state the order has now (undefined: deleted, void).
 */
async function decide(order: OrderDocument, to: 'taken' | 'voiding'): Promise<OrderDocument['stockState'] | null> {
  const moved = await serialized(orderKey(order), () =>
    Order.updateOne({ _id: order._id, stockState: 'taking' }, { $set: { stockState: to } }),
  );
  if (moved.matchedCount === 1) return to;
  const now = await Order.findById(order._id).select('stockState').lean();
  return now ? now.stockState : null;
}

async function takeFor(order: OrderDocument): Promise<StockOutcome> {
  const id = order._id.toString();
  let allTaken = true;
  for (const line of order.lines) {
    if (!(await takeStock(line.productId, id, line.quantity))) {
      allTaken = false;
      break;
    }
    crashPoint('checkout:stock-taking');
  }
  if (allTaken) crashPoint('checkout:stock-taken');
  const state = await decide(order, allTaken ? 'taken' : 'voiding');
  if (state === 'voiding') return voidFor(order);
  return state ? 'stands' : 'void';
}

/** Gives back whatever of the order's stock was taken, and bars any late take (models/stock.ts). */
async function voidFor(order: OrderDocument): Promise<StockOutcome> {
  const id = order._id.toString();
  for (const line of order.lines) await voidTake(line.productId, id, line.quantity);
  return 'void';
}

async function returnFor(order: OrderDocument): Promise<StockOutcome> {
  const id = order._id.toString();
  for (const line of order.lines) {
    await returnStock(line.productId, id, line.quantity);
    crashPoint('cancel:stock-returning');
  }
  await Order.updateOne({ _id: order._id, stockState: 'returning' }, { $set: { stockState: 'returned' } });
  return 'stands';
}

/**
 * Completes the order's pending stock move, whoever calls it and however often, with no lock:
 * an order `taking` takes every line, then is decided `taken`, or, if a line fell short, `voiding`
 * (what it took goes back); an order `voiding` gives back what it took; an order `returning`
 * (cancelled) gives every line back. `void` means the order must not stand: its stock is back, and
 * the caller deletes it (services/settlement.ts).
 */
export async function finishStockMove(order: OrderDocument): Promise<StockOutcome> {
  if (order.stockState === 'taking') return takeFor(order);
  if (order.stockState === 'voiding') return voidFor(order);
  if (order.stockState === 'returning') return returnFor(order);
  return 'stands';
}

/**
 * Voids an order that will never be placed (its cart moved on without it): decided `voiding`
 * unless it was decided already, then whatever it took goes back. Resolves to false if it stands
 * after all (decided `taken` before: it cannot be voided).
 */
export async function voidStockOf(order: OrderDocument): Promise<boolean> {
  const state = order.stockState === 'taking' ? await decide(order, 'voiding') : order.stockState;
  if (state !== 'voiding' && state !== null) return false;
  await voidFor(order);
  return true;
}
