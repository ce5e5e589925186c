import type { Request, RequestHandler, Response } from 'express';
import { matchedData } from 'express-validator';
import { amountText, parseAmount } from '../lib/money';
import { redirectWith } from '../middleware/flash';
import { signedInUser } from '../middleware/requireAuth';
import { MAX_STOCK, Product, type ProductDocument } from '../models/Product';
import { withProductLocked } from '../models/stock';
import { adminProductPage, deleteProduct, findProduct, parsePageParam } from '../services/products';
import { fieldErrors, formValue, type FieldErrors } from '../validation';
import { parseStock } from '../validation/product';

interface ProductForm {
  title: string;
  price: string;
  imageUrl: string;
  description: string;
  category: string;
  stock: string;
  /** The stock when the edit form was opened: unchanged, the count is left as orders made it since. */
  stockShown: string;
}

const emptyForm: ProductForm = {
  title: '',
  price: '',
  imageUrl: '',
  description: '',
  category: '',
  stock: '',
  stockShown: '',
};

function formOf(product: ProductDocument): ProductForm {
  const { title, imageUrl, description, category = '' } = product;
  const stock = String(product.stock);
  return { title, imageUrl, description, category, price: amountText(product.priceCents), stock, stockShown: stock };
}

/** Only these fields reach the model (no mass assignment); the price becomes whole cents. */
function fieldsFrom(req: Request) {
  const { title, price, imageUrl, description, category, stock } = matchedData<ProductForm>(req);
  return { title, imageUrl, description, category, priceCents: parseAmount(price)!, stock: parseStock(stock)! };
}

function renderForm(
  res: Response,
  status: number,
  locals: { form: ProductForm; errors?: FieldErrors; productId?: string },
) {
  const editing = Boolean(locals.productId);
  res.status(status).render('admin/edit-product', {
    title: editing ? 'Edit product' : 'Add a product',
    editing,
    maxStock: MAX_STOCK,
    errors: {},
    ...locals,
  });
}

/** What the visitor typed, echoed back into the form (strings only). */
function submitted(req: Request): ProductForm {
  const body = req.body ?? {};
  return {
    title: formValue(body.title),
    price: formValue(body.price),
    imageUrl: formValue(body.imageUrl),
    description: formValue(body.description),
    category: formValue(body.category),
    stock: formValue(body.stock),
    stockShown: formValue(body.stockShown),
  };
}

const ADMIN_PRODUCTS_PER_PAGE = 20;

/** The admins' product pages (a factory like every controller, though it needs nothing yet). */
export function adminController() {
  /** @route GET /admin/products — every product, newest first, with who added and last changed it. */
  const getProducts: RequestHandler = async (req, res) => {
    const page = parsePageParam(req.query.page);
    if (page === undefined) return res.redirect('/admin/products');
    const products = await adminProductPage(page, ADMIN_PRODUCTS_PER_PAGE);
    if (page > products.pageCount) return res.redirect(`/admin/products?page=${products.pageCount}`);
    res.render('admin/products', {
      title: 'Products',
      entries: products.items,
      pagination: products,
      pageHref: (n: number) => `/admin/products?page=${n}`,
    });
  };

  /** @route GET /admin/add-product */
  const getAddProduct: RequestHandler = (_req, res) => renderForm(res, 200, { form: emptyForm });

  /** @route POST /admin/add-product */
  const postAddProduct: RequestHandler = async (req, res) => {
    const errors = fieldErrors(req);
    if (errors) return renderForm(res, 422, { form: submitted(req), errors });
    const admin = signedInUser(req)._id;
    const product = await Product.create({ ...fieldsFrom(req), userId: admin, updatedBy: admin });
    await redirectWith(req, res, '/admin/products', {
      kind: 'success',
      text: `“${product.title}” is now in the shop.`,
    });
  };

  /** @route GET /admin/edit-product/:productId */
  const getEditProduct: RequestHandler = async (req, res) => {
    const product = await findProduct(req.params.productId);
    renderForm(res, 200, { form: formOf(product), productId: product._id.toString() });
  };

  /** @route POST /admin/edit-product */
  const postEditProduct: RequestHandler = async (req, res) => {
    const product = await findProduct(req.body?.productId);
    const errors = fieldErrors(req);
    if (errors) return renderForm(res, 422, { form: submitted(req), errors, productId: product._id.toString() });
    const { stock, ...fields } = fieldsFrom(req);
    // A stock left as the form showed it is not a new count: orders may have taken some since.
    const counted = String(stock) === formValue(req.body?.stockShown) ? {} : { stock };
    product.set({ ...fields, ...counted, updatedBy: signedInUser(req)._id });
    // The save must not interleave with an order's stock move (where the server needs a lock).
    await withProductLocked(product._id, () => product.save());
    await redirectWith(req, res, '/admin/products', { kind: 'success', text: `Saved “${product.title}”.` });
  };

  /** @route POST /admin/delete-product */
  const postDeleteProduct: RequestHandler = async (req, res) => {
    const product = await findProduct(req.body?.productId);
    await deleteProduct(product);
    await redirectWith(req, res, '/admin/products', { kind: 'success', text: `Deleted “${product.title}”.` });
  };

  return { getProducts, getAddProduct, postAddProduct, getEditProduct, postEditProduct, postDeleteProduct };
}
