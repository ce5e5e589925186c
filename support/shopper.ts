import type { Types } from 'mongoose';
import { MAX_QUANTITY } from '../src/models/cartItems';
import { Order } from '../src/models/Order';
import { User } from '../src/models/User';
import { addToCart, placeOrder, removeFromCart, sentToPay } from './shopFlows';
import type { Page, WebClient } from './webClient';

type Quantities = Record<string, number>;

/**
 * A logged-in visitor whose every answered request is remembered: what a 302 from POST /cart put
 * in the cart, what a 302 to /orders ordered. `reconcile` then holds the database to exactly that.
 * Requests of one shopper are sequential, so the expectation is exact.
 */
export class Shopper {
  readonly cart: Quantities = {};
  readonly orders: Quantities[] = [];

  constructor(
    readonly email: string,
    public client: WebClient,
  ) {}

  get hasItems(): boolean {
    return Object.keys(this.cart).length > 0;
  }

  async addToCart(productId: string): Promise<Page> {
    const page = await addToCart(this.client, productId);
    if (page.status === 302 && page.location === '/cart') {
      this.cart[productId] = Math.min((this.cart[productId] ?? 0) + 1, MAX_QUANTITY);
    }
    return page;
  }

  /** The last add of `productId` was refused after all (out of stock: the page said so). */
  forgetAdd(productId: string): void {
    const left = (this.cart[productId] ?? 0) - 1;
    if (left > 0) this.cart[productId] = left;
    else delete this.cart[productId];
  }

  /** Takes a line out of the cart. */
  async removeFromCart(productId: string): Promise<Page> {
    const page = await removeFromCart(this.client, productId);
    if (page.status === 302) delete this.cart[productId];
    return page;
  }

  /** Checks the cart out (the order then awaits payment); only call with items in it (an empty cart sends you back to /cart). */
  async placeOrder(): Promise<Page> {
    const page = await placeOrder(this.client);
    if (sentToPay(page)) {
      this.orders.push({ ...this.cart });
      for (const key of Object.keys(this.cart)) delete this.cart[key];
    }
    return page;
  }
}

const quantities = (items: Array<{ productId: Types.ObjectId; quantity: number }>): Quantities =>
  Object.fromEntries(items.map((item) => [item.productId.toString(), item.quantity]));

const same = (a: Quantities, b: Quantities) =>
  JSON.stringify(Object.entries(a).sort()) === JSON.stringify(Object.entries(b).sort());

/**
 * Compares the database (mongoose's connection) with what the shoppers were told: each cart holds
 * exactly what was added and not ordered, and each successful order request made exactly one order
 * of exactly that cart. Returns the differences, one line each (none when all is well).
 */
export async function reconcile(shoppers: Shopper[]): Promise<string[]> {
  const problems: string[] = [];
  for (const shopper of shoppers) {
    const user = await User.findOne({ email: shopper.email }).select('cart').lean();
    if (!user) {
      problems.push(`${shopper.email}: no such user`);
      continue;
    }
    const cart = quantities(user.cart.items);
    if (!same(cart, shopper.cart)) {
      problems.push(`${shopper.email}: cart ${JSON.stringify(cart)}, expected ${JSON.stringify(shopper.cart)}`);
    }
    const orders = await Order.find({ userId: user._id }).sort({ cartVersion: 1 }).lean();
    const stored = orders.map((order) => quantities(order.lines));
    if (stored.length !== shopper.orders.length || stored.some((order, i) => !same(order, shopper.orders[i]!))) {
      problems.push(`${shopper.email}: orders ${JSON.stringify(stored)}, expected ${JSON.stringify(shopper.orders)}`);
    }
  }
  return problems;
}
