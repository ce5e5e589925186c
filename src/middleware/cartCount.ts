import type { RequestHandler } from 'express';
import { itemCount } from '../models/cartItems';
import { cartItemsOf } from '../services/cart';
import { cartOwnerOf } from '../lib/cartOwner';

/** The number of items in the visitor's cart, for the navigation. */
export const exposeCartCount: RequestHandler = async (req, res, next) => {
  res.locals.cartCount = itemCount(await cartItemsOf(cartOwnerOf(req)));
  next();
};
