import type { RequestHandler } from 'express';
import { clientKey } from '../lib/clientAddress';
import type { Throttles } from '../services/throttle';
import { isObjectIdOrHexString } from 'mongoose';
import type { Category } from '../lib/categories';
import { formIdOf } from '../lib/formIds';
import { HttpError, notFound } from '../lib/HttpError';
import { cartOwnerOf } from '../lib/cartOwner';
import { flash, redirectWith } from '../lib/flash';
import { MAX_QUANTITY, itemCount } from '../models/cartItems';
import { Order, STATUS_LABELS, lineTotal, orderNumber } from '../models/Order';
import { queryTermsOf } from '../models/searchTerms';
import {
  OutOfStockError,
  addToCart,
  cartLines,
  cartTotal,
  currentCartItems,
  removeFromCart,
  setCartQuantity,
} from '../services/cart';
import { findProduct, newestProducts, parsePageParam, productPage } from '../services/products';
import { safeReturnTo, signedInUser } from '../auth/access';

const MAX_QUERY_LENGTH = 100;

/**
 * The search and the category of a product listing, from the query string. A repeated key (an
 * array), an over-long search or an unknown category is a 4xx page, never a query.
 */
function listingOf(query: Record<string, unknown>, categories: Category[]): { q: string; category?: Category } {
  const { q = '', category: slug } = query;
  if (typeof q !== 'string') throw new HttpError(400, 'Search for some words, once.');
  if (q.length > MAX_QUERY_LENGTH)
    throw new HttpError(400, `A search can be at most ${MAX_QUERY_LENGTH} characters long.`);
  if (slug === undefined || slug === '') return { q: q.trim() };
  const category = categories.find((known) => known.slug === slug);
  if (!category) throw new HttpError(404, 'There is no such category.');
  return { q: q.trim(), category };
}

/** The product id a cart form sends: only its form matters (the product itself may be gone already). */
function cartProductIdOf(value: unknown): string {
  if (typeof value !== 'string' || !isObjectIdOrHexString(value)) throw notFound('Product');
  return value;
}

/** A quantity from a form: a whole number from 0 (remove) to MAX_QUANTITY; anything else is a 422. */
function quantityOf(value: unknown): number {
  const text = typeof value === 'string' ? value.trim() : '';
  const quantity = /^\d{1,3}$/.test(text) ? Number(text) : NaN;
  if (!(quantity >= 0 && quantity <= MAX_QUANTITY))
    throw new HttpError(422, `A quantity is a whole number from 0 (to remove the item) to ${MAX_QUANTITY}.`);
  return quantity;
}

/** The address of a listing: only the parameters in use, so that plain links stay plain. */
function productsHref({ q, category, page }: { q: string; category?: string; page: number }): string {
  const params = new URLSearchParams();
  if (q) params.set('q', q);
  if (category) params.set('category', category);
  if (page > 1) params.set('page', String(page));
  const search = params.toString();
  return search ? `/products?${search}` : '/products';
}

export interface ShopDependencies {
  perPage: number;
  throttles: Throttles;
  categories: Category[];
}

export function shopController({ perPage, categories, throttles }: ShopDependencies) {
  /** @route GET / */
  const getIndex: RequestHandler = async (_req, res) => {
    // The home page shows no page numbers: no count needed.
    res.render('shop/index', { title: 'Welcome', products: await newestProducts(4) });
  };

  /** @route GET /products?q=…&category=…&page=N — all filters optional, each kept by the others' links. */
  const getProducts: RequestHandler = async (req, res) => {
    const { q, category } = listingOf(req.query, categories);
    const href = (page: number) => productsHref({ q, category: category?.slug, page });
    const page = parsePageParam(req.query.page);
    if (page === undefined) return res.redirect(href(1));
    const terms = queryTermsOf(q);
    // A search of punctuation alone has no words to look for: it matches nothing, not everything.
    const result =
      q && terms.length === 0
        ? { items: [], page: 1, pageCount: 1 }
        : await productPage(page, perPage, { terms, category: category?.slug });
    if (page > result.pageCount) return res.redirect(href(result.pageCount));
    res.render('shop/products', {
      title: q ? `Search: ${q}` : (category?.name ?? 'All products'),
      products: result.items,
      pagination: result,
      pageHref: href,
      q,
      category,
      categories,
    });
  };

  /** @route GET /products/:productId */
  const getProduct: RequestHandler = async (req, res) => {
    const product = await findProduct(req.params.productId);
    res.render('shop/product-detail', { title: product.title, product });
  };

  /** @route GET /cart */
  const getCart: RequestHandler = async (req, res) => {
    const { items, settled } = await currentCartItems(cartOwnerOf(req));
    if (settled > 0) {
      flash(req, 'success', 'Your last order went through after all: its items are in Your orders, not here.');
      // The navigation's count was taken before.
      res.locals.cartCount = itemCount(items);
    }
    const lines = await cartLines(items);
    // A guest's cart page too is theirs alone: no browser or proxy may keep it.
    res.set('Cache-Control', 'no-store');
    res.render('shop/cart', {
      title: 'Your cart',
      lines,
      total: cartTotal(lines),
      maxQuantity: MAX_QUANTITY,
    });
  };

  /**
   * @route POST /cart — adds one of `productId`; guests too (their cart is merged at login). Once
   * per `formId`: the same form sent again adds nothing more.
   */
  const postCart: RequestHandler = async (req, res) => {
    const formId = formIdOf(req.body?.formId);
    const product = await findProduct(req.body?.productId);
    // Back to the page of the form (its `returnTo`, a path of ours), with the confirmation.
    const returnTo: unknown = req.body?.returnTo;
    const back = returnTo === undefined ? '/cart' : safeReturnTo(returnTo);
    // A guest's first add stores a session and a cart: a budget per network, so that a script
    // cannot fill the database with them (429 once it is spent).
    if (!req.user && !req.session.hasGuestCart) await throttles.guestCartByIp.take(clientKey(req.ip));
    try {
      await addToCart(cartOwnerOf(req), product, formId);
    } catch (err) {
      if (!(err instanceof OutOfStockError)) throw err;
      return redirectWith(req, res, back, { kind: 'error', text: err.message });
    }
    if (!req.user) req.session.hasGuestCart = true;
    await redirectWith(req, res, back, { kind: 'success', text: `Added “${product.title}” to your cart.` });
  };

  /** @route POST /cart-update — sets the quantity (`quantity`, 0–99; 0 removes) of the line `productId`. */
  const postCartUpdate: RequestHandler = async (req, res) => {
    const productId = cartProductIdOf(req.body?.productId);
    const quantity = quantityOf(req.body?.quantity);
    await setCartQuantity(cartOwnerOf(req), productId, quantity);
    const text = quantity === 0 ? 'Removed the item from your cart.' : 'Updated the quantity.';
    await redirectWith(req, res, '/cart', { kind: 'success', text });
  };

  /** @route POST /cart-delete-item */
  const postCartDeleteItem: RequestHandler = async (req, res) => {
    const productId = cartProductIdOf(req.body?.productId);
    await removeFromCart(cartOwnerOf(req), productId);
    await redirectWith(req, res, '/cart', { kind: 'success', text: 'Removed the item from your cart.' });
  };

  /** @route GET /orders — the user's own orders, newest first. */
  const getOrders: RequestHandler = async (req, res) => {
    const orders = await Order.find({ userId: signedInUser(req)._id }).sort({ createdAt: -1 });
    res.render('shop/orders', { title: 'Your orders', orders, lineTotal, orderNumber, statusLabels: STATUS_LABELS });
  };

  return {
    getIndex,
    getProducts,
    getProduct,
    getCart,
    postCart,
    postCartUpdate,
    postCartDeleteItem,
    getOrders,
  };
}
