import type { RequestHandler } from 'express';
import { isObjectIdOrHexString } from 'mongoose';
import { formIdOf } from '../lib/formIds';
import { notFound } from '../lib/HttpError';
import { flash } from '../middleware/flash';
import { itemCount } from '../models/cartItems';
import { Order, lineTotal } from '../models/Order';
import { addToCart, cartLines, cartTotal, currentCartItems, removeFromCart } from '../services/cart';
import { EmptyCartError, placeOrder } from '../services/checkout';
import { findProduct, newestProducts, parsePageParam, productPage } from '../services/products';
import { saveSession } from '../sessions/lifecycle';

export function shopController({ perPage }: { perPage: number }) {
  /** @route GET / */
  const getIndex: RequestHandler = async (_req, res) => {
    // The home page shows no page numbers: no count needed.
    res.render('shop/index', { title: 'Welcome', products: await newestProducts(4) });
  };

  /** @route GET /products?page=N */
  const getProducts: RequestHandler = async (req, res) => {
    const page = parsePageParam(req.query.page);
    if (page === undefined) return res.redirect('/products');
    const result = await productPage(page, perPage);
    if (page > result.pageCount) return res.redirect(`/products?page=${result.pageCount}`);
    res.render('shop/products', { title: 'All products', products: result.items, pagination: result });
  };

  /** @route GET /products/:productId */
  const getProduct: RequestHandler = async (req, res) => {
    const product = await findProduct(req.params.productId);
    res.render('shop/product-detail', { title: product.title, product });
  };

  /** @route GET /cart */
  const getCart: RequestHandler = async (req, res) => {
    const { items, settled } = await currentCartItems(req);
    if (settled > 0) {
      flash(req, 'success', 'Your last order went through after all: its items are in Your orders, not here.');
      // The navigation's count was taken before.
      res.locals.cartCount = itemCount(items);
    }
    const lines = await cartLines(items);
    res.render('shop/cart', { title: 'Your cart', lines, total: cartTotal(lines) });
  };

  /**
   * @route POST /cart — adds one of `productId`; guests too (their cart is merged at login). Once
   * per `formId`: the same form sent again adds nothing more.
   */
  const postCart: RequestHandler = async (req, res) => {
    const formId = formIdOf(req.body?.formId);
    const product = await findProduct(req.body?.productId);
    await addToCart(req, product._id, formId);
    flash(req, 'success', `Added “${product.title}” to your cart.`);
    if (!req.user) flash(req, 'info', 'Log in or sign up to see your cart and check out: it will be waiting.');
    await saveSession(req);
    res.redirect('/cart');
  };

  /** @route POST /cart-delete-item */
  const postCartDeleteItem: RequestHandler = async (req, res) => {
    const productId: unknown = req.body?.productId;
    // The product itself may be gone already; only the id's form matters here.
    if (typeof productId !== 'string' || !isObjectIdOrHexString(productId)) throw notFound('Product');
    await removeFromCart(req, productId);
    flash(req, 'success', 'Removed the item from your cart.');
    await saveSession(req);
    res.redirect('/cart');
  };

  /** @route POST /create-order */
  const postOrder: RequestHandler = async (req, res) => {
    try {
      await placeOrder(req.user!);
    } catch (err) {
      if (!(err instanceof EmptyCartError)) throw err;
      flash(req, 'error', err.message);
      await saveSession(req);
      return res.redirect('/cart');
    }
    flash(req, 'success', 'Thank you! Your order is placed.');
    await saveSession(req);
    res.redirect('/orders');
  };

  /** @route GET /orders — the user's own orders, newest first. */
  const getOrders: RequestHandler = async (req, res) => {
    const orders = await Order.find({ userId: req.user!._id }).sort({ createdAt: -1 });
    res.render('shop/orders', { title: 'Your orders', orders, lineTotal });
  };

  return { getIndex, getProducts, getProduct, getCart, postCart, postCartDeleteItem, postOrder, getOrders };
}
