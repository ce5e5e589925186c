import mongoose, { isObjectIdOrHexString, trusted, type Types } from 'mongoose';
import { HttpError, notFound } from '../lib/HttpError';
import type { ImageFile } from '../lib/imageType';
import { removeItem } from '../models/cartItems';
import { updateCart } from '../models/cartStore';
import { GuestCart } from '../models/GuestCart';
import { Product, type ProductDocument, type ProductFields } from '../models/Product';
import { recountStock, withProductLocked } from '../models/stock';
import { User } from '../models/User';
import { deleteImage, deleteImageAt, imageUrlOf, storeImage } from './images';

/** The product with this id; 404 for a malformed or unknown id (never a CastError 500). */
export async function findProduct(id: unknown): Promise<ProductDocument> {
  if (typeof id !== 'string' || !isObjectIdOrHexString(id)) throw notFound('Product');
  const product = await Product.findById(id);
  if (!product) throw notFound('Product');
  return product;
}

export interface Page<T> {
  items: T[];
  page: number;
  pageCount: number;
}

/** The newest products, newest first (one query on the `createdAt, _id` index). */
export function newestProducts(limit: number, skip = 0): Promise<ProductDocument[]> {
  return Product.find().sort({ createdAt: -1, _id: -1 }).skip(skip).limit(limit).exec();
}

/** One page of the shop's products for its admins, with who added and who last changed each one. */
export async function adminProductPage(page: number, perPage: number) {
  const products = await productPage(page, perPage);
  const peopleIds = products.items.flatMap((product) => [product.userId, product.updatedBy ?? product.userId]);
  const people = await User.find({ _id: trusted({ $in: peopleIds }) }).select('email');
  const emailOf = (id: Types.ObjectId) => people.find((person) => person._id.equals(id))?.email ?? 'a deleted account';
  return {
    ...products,
    items: products.items.map((product) => ({
      product,
      addedBy: emailOf(product.userId),
      changedBy: emailOf(product.updatedBy ?? product.userId),
    })),
  };
}

/** What a list of products is narrowed to: the terms of a search, a category (by slug). */
export interface ProductFilter {
  terms?: string[];
  category?: string;
}

function queryOf({ terms = [], category }: ProductFilter) {
  return {
    ...(terms.length > 0 ? { searchTerms: trusted({ $all: terms }) } : {}),
    ...(category ? { category } : {}),
  };
}

/**
 * One page of products, newest first. Unfiltered, the count comes from the collection's metadata
 * (estimatedDocumentCount: no scan, unlike countDocuments, which reads every product to count
 * them); filtered, it is counted on the filter's index. It runs beside the page's query.
 */
export async function productPage(
  page: number,
  perPage: number,
  filter: ProductFilter = {},
): Promise<Page<ProductDocument>> {
  const query = queryOf(filter);
  const filtered = Object.keys(query).length > 0;
  const [total, items] = await Promise.all([
    filtered ? Product.countDocuments(query) : Product.estimatedDocumentCount(),
    Product.find(query)
      .sort({ createdAt: -1, _id: -1 })
      .skip((page - 1) * perPage)
      .limit(perPage)
      .exec(),
  ]);
  const pageCount = Math.max(1, Math.ceil(total / perPage));
  return { items, page, pageCount };
}

/**
 * `?page=` as a page number: 1 when absent; undefined when it is not a positive whole number
 * (page 0, "abc", a repeated key).
 */
export function parsePageParam(value: unknown): number | undefined {
  if (value === undefined) return 1;
  if (typeof value !== 'string' || !/^[1-9]\d{0,5}$/.test(value)) return undefined;
  return Number(value);
}

/** What an admin's form sets on a product (the image comes as a file, not as a field). */
export type ProductEdit = Pick<ProductFields, 'title' | 'priceCents' | 'description' | 'category' | 'updatedBy'> &
  Partial<Pick<ProductFields, 'stock'>>;

/** An edit form's stock: the count it showed when opened, and the one typed over it. */
export interface StockRecount {
  shown: number;
  typed: number;
}

/** The stock moved since the form was opened, by more than the admin's lower count allows. */
export class StockMovedError extends HttpError {
  constructor(readonly stockNow: number) {
    super(
      409,
      `The stock changed while you edited it: orders took some, and ${stockNow.toLocaleString('en-US')} ` +
        'are left now, fewer than your change takes away. Nothing was saved; open the product again.',
    );
  }
}

/**
 * Adds a product with its uploaded image. The image is stored first, so the product never points
 * at a missing file; if the product cannot be saved, the image is deleted again (or, should that
 * fail too, swept later: see sweepUnusedImages).
 */
export async function addProduct(fields: ProductEdit & Pick<ProductFields, 'userId'>, image: ImageFile) {
  const imageId = await storeImage(image);
  try {
    return await Product.create({ ...fields, imageUrl: imageUrlOf(imageId) });
  } catch (err) {
    await deleteImage(imageId).catch(() => undefined);
    throw err;
  }
}

/**
 * Saves an admin's edit. A new image goes: store the new file → point the product at it, only if
 * the product still shows the image this edit started from → delete the old file. A crash between
 * two steps leaves at worst an unused file (swept later), never a product without its image; an
 * edit that lost a race with another one deletes its own new file and says so (409).
 */
export async function editProduct(
  product: ProductDocument,
  fields: Omit<ProductEdit, 'stock'>,
  image?: ImageFile,
  recount?: StockRecount,
): Promise<void> {
  // The count first, as a change from the shown one, never a plain new number: orders placed since
  // the form was opened stay taken (models/stock.ts). Refused whole if too few are left for it.
  if (recount && !(await recountStock(product._id, recount.shown, recount.typed))) {
    const now = await Product.findById(product._id).select('stock').lean();
    if (!now) throw new HttpError(409, 'This product was deleted while you edited it.');
    throw new StockMovedError(now.stock);
  }
  product.set(fields);
  const oldImageUrl = product.imageUrl;
  const imageId = image && (await storeImage(image));
  try {
    // Under the product's lock where the server needs one: a save must not interleave with an
    // order's stock move, nor two image changes with each other.
    if (!imageId) await withProductLocked(product._id, () => product.save());
    else {
      await withProductLocked(product._id, async () => {
        product.set({ imageUrl: imageUrlOf(imageId) });
        // Mongoose adds this to the update's filter and throws DocumentNotFoundError if nothing matched.
        product.$where = { imageUrl: oldImageUrl };
        await product.save();
      });
    }
  } catch (err) {
    if (imageId) await deleteImage(imageId).catch(() => undefined);
    // Nothing matched: the product is gone, its image changed (the filter above), or its text
    // changed meanwhile (a VersionError: mongoose versions the searchTerms array).
    const changedMeanwhile =
      err instanceof mongoose.Error.DocumentNotFoundError || err instanceof mongoose.Error.VersionError;
    if (!changedMeanwhile) throw err;
    throw new HttpError(
      409,
      'This product changed while you edited it (another admin saved it or deleted it). Open it again and retry.',
    );
  }
  if (imageId) await deleteImageAt(oldImageUrl);
}

/**
 * Deletes a product, then its stored image (the one it showed at the moment of deletion), and
 * takes it out of every cart, users' and guests' alike. Carts change one by one through the same
 * compare-and-swap as any cart edit (not every server can `$pull` by a condition), so an add
 * racing with the deletion is not lost either.
 */
export async function deleteProduct(product: ProductDocument): Promise<void> {
  // The document as it was deleted, so its current image goes with it. Through the driver: the
  // model would add a projection (searchTerms are unselected), which not every server takes here.
  const deleted = await withProductLocked(product._id, () => Product.collection.findOneAndDelete({ _id: product._id }));
  if (typeof deleted?.imageUrl === 'string') await deleteImageAt(deleted.imageUrl);
  const inCart = { 'cart.items.productId': product._id };
  const [users, guests] = await Promise.all([
    User.find(inCart).select('_id').lean(),
    GuestCart.find(inCart).select('_id').lean(),
  ]);
  await Promise.all([
    ...users.map((user) => updateCart({ collection: User.collection, id: user._id }, removeItem(product._id))),
    ...guests.map((guest) => updateCart({ collection: GuestCart.collection, id: guest._id }, removeItem(product._id))),
  ]);
}
