import type { DeliveryAddress } from './Order';
import { Schema, model, type HydratedDocument, type Model, type Types } from 'mongoose';
import { addAll, addItem, cartItemSchema, removeItem, setQuantity, subtractAll, type CartItem } from './cartItems';
import { oncePerForm, updateCart, updateCartAt, type Once, type VersionedOutcome } from './cartStore';

/** Customers shop; admins also run the shop (products, orders). Every signup is a customer. */
export const ROLES = ['customer', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export interface UserFields {
  email: string;
  password: string;
  role: Role;
  /**
   * Bumped by every password change, reset and "sign out everywhere" (auth/credentials.ts).
   * A session carries the epoch of its login; one with an older epoch is ended.
   */
  credentialEpoch: number;
  /**
   * When the owner opened the link mailed at signup; null until then, and such an account cannot
   * log in. Only the signup form creates unverified accounts: any other creation (the admin CLI,
   * seeds, documents stored before verification existed) counts as verified by this default.
   */
  emailVerifiedAt: Date | null;
  /** Set by the first sign-in, which sends no new-browser mail (there is no known browser yet). */
  firstSignInAt: Date | null;
  /**
   * Set by "this wasn't me": whoever knows the password may be the intruder, so the password logs
   * nobody in until the owner sets a new one through the reset link mailed then (services/notMe.ts).
   */
  passwordBlockedAt: Date | null;
  /** The second factor (auth/twoFactor/): its fields are absent while the account has none. */
  twoFactor: TwoFactorFields;
  /**
   * Changed only through `updateCart` (compare-and-swap on `version`), never by saving the
   * document. `settledOrders`: the orders whose items were taken out (services/settlement.ts);
   * `recentForms`: the last add-to-cart forms taken (each is taken once).
   */
  cart: { items: CartItem[]; version: number; settledOrders?: string[]; recentForms?: string[] };
  /** The delivery address the customer asked the checkout to keep for next time. */
  savedAddress?: DeliveryAddress;
  createdAt: Date;
  updatedAt: Date;
}

export interface TwoFactorFields {
  /** When the authenticator app was set up; absent (or null) without a second factor. */
  enabledAt?: Date | null;
  /**
   * The authenticator's TOTP key, sealed (lib/secretBox.ts, bound to the account's id); kept out
   * of every query that does not ask for it.
   */
  secret?: string;
  /** The last 30-second step whose code was accepted: no code of it or before works again. */
  lastStep?: number;
  /** SHA-256 hashes of the recovery codes not used yet. */
  recoveryCodes?: string[];
}

/** Whether the account signs in with a second factor besides its password. */
export const hasSecondFactor = (user: { twoFactor?: TwoFactorFields | null }): boolean =>
  user.twoFactor?.enabledAt instanceof Date;

interface UserMethods {
  /** With `formId`, a form sent again (a retry after an error) adds nothing more. */
  addToCart(productId: Types.ObjectId, quantity?: number, formId?: string): Promise<CartItem[]>;
  removeFromCart(productId: Types.ObjectId | string): Promise<CartItem[]>;
  /** Sets the quantity of a line in the cart (0 removes it); a line not in the cart stays out. */
  setCartQuantity(productId: Types.ObjectId | string, quantity: number): Promise<CartItem[]>;
  /** Merges another cart (a guest's) into this one: quantities add up. */
  mergeCart(items: CartItem[]): Promise<CartItem[]>;
  /**
   * The commit point of an order (services/settlement.ts): removes what order `orderId` bought
   * from the cart, only if the cart is still at `version` (the one the order was made from), and
   * records that it did. Called again for the same order it changes nothing (`repeated`); once the
   * cart moved on without it, never (`stale`). The cart forgets the orders in `forget` (settled for good).
   */
  claimForOrder(
    orderId: string,
    version: number,
    items: CartItem[],
    forget: ReadonlySet<string>,
  ): Promise<VersionedOutcome>;
  /** Puts back what a claimed order took from the cart, once, if that order fell short of stock. */
  giveBackFromOrder(orderId: string, items: CartItem[]): Promise<CartItem[]>;
}

type UserModel = Model<UserFields, object, UserMethods>;
export type UserDocument = HydratedDocument<UserFields, UserMethods>;

const userSchema = new Schema<UserFields, UserModel, UserMethods>(
  {
    email: { type: String, required: true, unique: true, lowercase: true, trim: true },
    // A bcrypt hash; `select: false` keeps it out of every query that does not ask for it.
    password: { type: String, required: true, select: false },
    role: { type: String, enum: ROLES, default: 'customer' },
    credentialEpoch: { type: Number, default: 0 },
    emailVerifiedAt: { type: Date, default: () => new Date() },
    firstSignInAt: { type: Date, default: null },
    passwordBlockedAt: { type: Date, default: null },
    twoFactor: {
      enabledAt: { type: Date, default: undefined },
      secret: { type: String, select: false },
      lastStep: Number,
      recoveryCodes: { type: [String], default: undefined },
    },
    savedAddress: {
      type: new Schema(
        { name: String, line1: String, line2: String, city: String, postcode: String, country: String },
        { _id: false },
      ),
      default: undefined,
    },
    cart: {
      items: { type: [cartItemSchema], default: [] },
      version: { type: Number, default: 0 },
      settledOrders: { type: [String], default: undefined },
      recentForms: { type: [String], default: undefined },
    },
  },
  { timestamps: true },
);

function changeCart(user: UserDocument, change: Parameters<typeof updateCart>[1], once?: Once) {
  return updateCart({ collection: User.collection, id: user._id }, change, once).then((items) => {
    user.cart.items = items;
    return items;
  });
}

userSchema.method('addToCart', function addToCart(productId: Types.ObjectId, quantity = 1, formId?: string) {
  return changeCart(this, addItem(productId, quantity), formId ? oncePerForm(formId) : undefined);
});
userSchema.method('removeFromCart', function removeFromCart(productId: Types.ObjectId | string) {
  return changeCart(this, removeItem(productId));
});
userSchema.method('setCartQuantity', function setCartQuantity(productId: Types.ObjectId | string, quantity: number) {
  return changeCart(this, setQuantity(productId, quantity));
});
userSchema.method('mergeCart', function mergeCart(items: CartItem[]) {
  return changeCart(this, addAll(items));
});
userSchema.method(
  'claimForOrder',
  async function claimForOrder(orderId: string, version: number, items: CartItem[], forget: ReadonlySet<string>) {
    const once: Once = {
      list: 'settledOrders',
      key: orderId,
      // Every order not yet marked settled stays remembered: its claim must read as made.
      keep: (keys) => keys.filter((key) => !forget.has(key)),
    };
    const { items: now, outcome } = await updateCartAt(
      { collection: User.collection, id: this._id },
      version,
      subtractAll(items),
      once,
    );
    this.cart.items = now;
    return outcome;
  },
);
/** How many given-back orders a cart remembers (a repeat after that is a crash on a crash). */
const GIVEN_BACK_REMEMBERED = 10;
userSchema.method('giveBackFromOrder', function giveBackFromOrder(orderId: string, items: CartItem[]) {
  const givenBack = (key: string) => key.startsWith('given-back:');
  return changeCart(this, addAll(items), {
    list: 'settledOrders',
    key: `given-back:${orderId}`,
    keep: (keys) => [
      ...keys.filter((key) => !givenBack(key)),
      ...keys.filter(givenBack).slice(-(GIVEN_BACK_REMEMBERED - 1)),
    ],
  });
});

// Finds the carts holding a product that is being deleted.
userSchema.index({ 'cart.items.productId': 1 });
// The admins' list of accounts, newest first (/admin/users).
userSchema.index({ createdAt: -1, _id: -1 });

export const User = model<UserFields, UserModel>('User', userSchema);

/** A write refused by a unique index, e.g. a second signup with the same email (as each server says it). */
export { isDuplicateKeyError } from '../db';
