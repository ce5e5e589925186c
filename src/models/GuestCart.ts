import { Schema, model } from 'mongoose';
import { addItem, cartItemSchema, removeItem, setQuantity, type CartItem } from './cartItems';
import { oncePerForm, updateCart } from './cartStore';

/**
 * A visitor's cart before they log in, in its own document keyed by their session id. Not in the
 * session itself: parallel requests on one session overwrite each other's session data, while
 * this document changes atomically. Merged into the user's cart at login.
 */
interface GuestCartFields {
  _id: string;
  /** `recentForms`: the last add-to-cart forms taken (each is taken once). */
  cart: { items: CartItem[]; version: number; recentForms?: string[] };
  updatedAt: Date;
}

const guestCartSchema = new Schema<GuestCartFields>(
  {
    _id: { type: String, required: true },
    cart: {
      items: { type: [cartItemSchema], default: [] },
      version: { type: Number, default: 0 },
      recentForms: { type: [String], default: undefined },
    },
  },
  { timestamps: { createdAt: false, updatedAt: true } },
);

// Finds the carts holding a product that is being deleted.
guestCartSchema.index({ 'cart.items.productId': 1 });

export const GuestCart = model<GuestCartFields>('GuestCart', guestCartSchema);

const holder = (sessionId: string) => ({ collection: GuestCart.collection, id: sessionId, upsert: true });

export const guestCart = {
  async items(sessionId: string): Promise<CartItem[]> {
    const doc = await GuestCart.findById(sessionId).lean();
    return doc?.cart?.items ?? [];
  },
  add: (sessionId: string, productId: CartItem['productId'], formId?: string) =>
    updateCart(holder(sessionId), addItem(productId), formId ? oncePerForm(formId) : undefined),
  remove: (sessionId: string, productId: string) => updateCart(holder(sessionId), removeItem(productId)),
  setQuantity: (sessionId: string, productId: string, quantity: number) =>
    updateCart({ ...holder(sessionId), upsert: false }, setQuantity(productId, quantity)),
  discard: (sessionId: string) => GuestCart.deleteOne({ _id: sessionId }),
};
