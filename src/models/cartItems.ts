import { Schema, type Types } from 'mongoose';

/** The most of one product a cart may hold. */
export const MAX_QUANTITY = 99;

export interface CartItem {
  productId: Types.ObjectId;
  quantity: number;
}

export const cartItemSchema = new Schema<CartItem>(
  {
    productId: { type: Schema.Types.ObjectId, ref: 'Product', required: true },
    quantity: { type: Number, required: true, min: 1, max: MAX_QUANTITY, validate: Number.isInteger },
  },
  { _id: false },
);

/** A pure change to a list of cart items; applied atomically by `updateCart`. */
export type CartChange = (items: CartItem[]) => CartItem[];

const sameProduct = (id: Types.ObjectId | string) => (item: CartItem) => item.productId.equals(id);

export const addItem =
  (productId: Types.ObjectId, quantity = 1): CartChange =>
  (items) => {
    const existing = items.find(sameProduct(productId));
    if (!existing) return [...items, { productId, quantity: Math.min(quantity, MAX_QUANTITY) }];
    return items.map((item) =>
      item === existing ? { productId, quantity: Math.min(item.quantity + quantity, MAX_QUANTITY) } : item,
    );
  };

export const removeItem =
  (productId: Types.ObjectId | string): CartChange =>
  (items) =>
    items.filter((item) => !sameProduct(productId)(item));

/**
 * Sets the quantity of a line already in the cart (0 takes it out). A line that is gone (removed
 * meanwhile, in another tab) stays gone: a quantity form never brings it back.
 */
export const setQuantity =
  (productId: Types.ObjectId | string, quantity: number): CartChange =>
  (items) =>
    quantity === 0
      ? removeItem(productId)(items)
      : items.map((item) =>
          sameProduct(productId)(item)
            ? { productId: item.productId, quantity: Math.min(quantity, MAX_QUANTITY) }
            : item,
        );

/** Adds every item of `other` (a guest cart being merged, for example): quantities add up. */
export const addAll =
  (other: CartItem[]): CartChange =>
  (items) =>
    other.reduce((merged, item) => addItem(item.productId, item.quantity)(merged), items);

/** Takes away exactly the quantities given (what an order bought); anything added since stays. */
export const subtractAll =
  (ordered: CartItem[]): CartChange =>
  (items) =>
    items
      .map((item) => {
        const bought = ordered.find(sameProduct(item.productId));
        return bought ? { productId: item.productId, quantity: item.quantity - bought.quantity } : item;
      })
      .filter((item) => item.quantity > 0);

export const itemCount = (items: CartItem[]) => items.reduce((sum, item) => sum + item.quantity, 0);
