import type { Request, RequestHandler, Response } from 'express';
import { matchedData } from 'express-validator';
import { HttpError } from '../lib/HttpError';
import { amountText, parseAmount } from '../lib/money';
import { redirectWith } from '../lib/flash';
import { signedInUser } from '../auth/access';
import { IMAGE_FIELD, IMAGE_RULES, uploadedImage } from '../lib/imageUpload';
import type { ImageFile } from '../lib/imageType';
import { MAX_STOCK, type ProductDocument } from '../models/Product';
import {
  addProduct,
  adminProductPage,
  deleteProduct,
  editProduct,
  findProduct,
  parsePageParam,
} from '../services/products';
import { fieldErrors, formValue, type FieldErrors } from '../validation';
import { parseStock } from '../validation/product';

interface ProductForm {
  title: string;
  price: string;
  description: string;
  category: string;
  stock: string;
  /** The stock when the edit form was opened: unchanged, the count is left as orders made it since. */
  stockShown: string;
  /** The image the product shows now (editing only); a new one comes as a file. */
  imageUrl?: string;
}

const emptyForm: ProductForm = { title: '', price: '', description: '', category: '', stock: '', stockShown: '' };

function formOf(product: ProductDocument): ProductForm {
  const { title, imageUrl, description, category = '' } = product;
  const stock = String(product.stock);
  return { title, imageUrl, description, category, price: amountText(product.priceCents), stock, stockShown: stock };
}

/** Only these fields reach the model (no mass assignment); the price becomes whole cents. */
function fieldsFrom(req: Request) {
  const { title, price, description, category, stock } = matchedData<ProductForm>(req);
  return { title, description, category, priceCents: parseAmount(price)!, stock: parseStock(stock)! };
}

interface FormCheck {
  status: number;
  errors: FieldErrors | null;
  image?: ImageFile;
}

/**
 * The form's fields and its image, checked together so that every problem shows at once. An image
 * is required for a new product and optional on an edit (none keeps the current one). A valid
 * image sent with an invalid form is not kept: a browser cannot fill a file field back in.
 */
function checkForm(req: Request, imageRequired: boolean): FormCheck {
  const errors = fieldErrors(req) ?? {};
  const upload = uploadedImage(req);
  let status = 422;
  if (upload.kind === 'refused') {
    errors[IMAGE_FIELD] = upload.message;
    status = upload.status;
  } else if (upload.kind === 'none' && imageRequired) {
    errors[IMAGE_FIELD] = `Choose ${IMAGE_RULES}.`;
  } else if (upload.kind === 'image' && Object.keys(errors).length > 0) {
    errors[IMAGE_FIELD] = 'Choose the image again: it is not kept while the form has errors.';
  }
  if (Object.keys(errors).length > 0) return { status, errors };
  return { status: 200, errors: null, image: upload.kind === 'image' ? upload.image : undefined };
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

  /** @route POST /admin/add-product (multipart: the fields and the file `image`) */
  const postAddProduct: RequestHandler = async (req, res) => {
    const { status, errors, image } = checkForm(req, true);
    if (errors || !image) return renderForm(res, status, { form: submitted(req), errors: errors ?? {} });
    const admin = signedInUser(req)._id;
    const product = await addProduct({ ...fieldsFrom(req), userId: admin, updatedBy: admin }, image);
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

  /** @route POST /admin/edit-product (multipart: the fields and, to replace the image, the file `image`) */
  const postEditProduct: RequestHandler = async (req, res) => {
    const product = await findProduct(req.body?.productId);
    const { status, errors, image } = checkForm(req, false);
    if (errors) {
      const form = { ...submitted(req), imageUrl: product.imageUrl };
      return renderForm(res, status, { form, errors, productId: product._id.toString() });
    }
    const { stock, ...fields } = fieldsFrom(req);
    // The count the form showed: the admin's change is applied from it, so orders placed since stay
    // counted. A form without it (a script) changes the count as read now.
    const shownText = formValue(req.body?.stockShown);
    const shown = shownText === '' ? product.stock : parseStock(shownText);
    if (shown === undefined)
      throw new HttpError(422, 'The form’s stock count is not a number: open the product again.');
    const recount = { shown, typed: stock };
    await editProduct(product, { ...fields, updatedBy: signedInUser(req)._id }, image, recount);
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
